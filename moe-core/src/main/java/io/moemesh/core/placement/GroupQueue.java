package io.moemesh.core.placement;

import java.util.Arrays;

/**
 * The planner's queue of (service, layer) groups, each keyed by its best addition as last
 * computed: an indexed binary max-heap over group ids, so a group's key is replaced in place
 * instead of piling up stale entries (the planner re-keys groups millions of times at DeepSeek-V3's
 * shape, and a {@code PriorityQueue} of records made most of its garbage).
 *
 * <p>Order: gain descending, then group id ascending. Group id {@code service * layers + layer}
 * ascending is the old greedy's (service, layer) tie-break, and a group holds one key, so the
 * expert never has to break a tie here.
 */
final class GroupQueue {

    private final int[] heap;    // group ids, heap-ordered
    private final int[] at;      // [group] -> index in heap, or -1
    private final double[] gain; // [group]
    private final int[] expert;  // [group]
    private int size;

    GroupQueue(int groups) {
        this.heap = new int[groups];
        this.at = new int[groups];
        this.gain = new double[groups];
        this.expert = new int[groups];
        Arrays.fill(at, -1);
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The group with the best key; the queue must not be empty. */
    int peek() {
        return heap[0];
    }

    double gain(int group) {
        return gain[group];
    }

    int expert(int group) {
        return expert[group];
    }

    /** Inserts the group or replaces its key. */
    void set(int group, double gain, int expert) {
        this.gain[group] = gain;
        this.expert[group] = expert;
        int i = at[group];
        if (i < 0) {
            i = size++;
            heap[i] = group;
            at[group] = i;
        }
        siftDown(siftUp(i));
    }

    void remove(int group) {
        int i = at[group];
        if (i < 0) {
            return;
        }
        at[group] = -1;
        int last = heap[--size];
        if (i < size) {
            heap[i] = last;
            at[last] = i;
            siftDown(siftUp(i));
        }
    }

    private boolean before(int a, int b) {
        return gain[a] > gain[b] || gain[a] == gain[b] && a < b;
    }

    private int siftUp(int i) {
        int g = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!before(g, heap[parent])) {
                break;
            }
            place(heap[parent], i);
            i = parent;
        }
        place(g, i);
        return i;
    }

    private void siftDown(int i) {
        int g = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && before(heap[child + 1], heap[child])) {
                child++;
            }
            if (!before(heap[child], g)) {
                break;
            }
            place(heap[child], i);
            i = child;
        }
        place(g, i);
    }

    private void place(int group, int i) {
        heap[i] = group;
        at[group] = i;
    }
}
