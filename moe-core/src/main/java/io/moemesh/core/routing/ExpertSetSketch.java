package io.moemesh.core.routing;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Space-Saving heavy hitters over expert sets (Metwally, Agrawal, El Abbadi, "Efficient Computation
 * of Frequent and Top-k Elements in Data Streams", 2005): at most {@code capacity} sets are
 * tracked; an unseen set replaces the tracked set with the smallest count and inherits that count
 * as its error. A tracked set's count minus its error is the number of times it was seen since it
 * was last admitted, so it never exceeds the true frequency; {@link #snapshot} reports that lower
 * bound and puts every other token in {@code otherTokens}, so totals stay exact. Any set chosen by
 * more than {@code tokens / capacity} tokens is tracked. A min-heap on counts makes recording
 * O(log capacity). Not thread-safe: {@link RoutingStatsWindow} guards it.
 */
final class ExpertSetSketch {

    private final int capacity;
    private final Map<ExpertSets.SetKey, Integer> slotOf = new HashMap<>();
    private final ExpertSets.SetKey[] key;
    private final long[] count;
    private final long[] error;
    private final int[] heap; // slots, min-heap on count
    private final int[] at;   // [slot] -> heap index
    private int size;
    private long tokens;

    ExpertSetSketch(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("expert sets per layer must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
        this.key = new ExpertSets.SetKey[capacity];
        this.count = new long[capacity];
        this.error = new long[capacity];
        this.heap = new int[capacity];
        this.at = new int[capacity];
    }

    /** Counts one token's set; {@code experts} must be ascending and is copied when admitted. */
    void record(int[] experts) {
        tokens++;
        ExpertSets.SetKey k = new ExpertSets.SetKey(experts);
        Integer slot = slotOf.get(k);
        if (slot == null) {
            k = new ExpertSets.SetKey(experts.clone());
            if (size < capacity) {
                slot = size;
                heap[size] = slot;
                at[slot] = size++;
                count[slot] = 0;
                error[slot] = 0;
            } else {
                slot = heap[0];
                slotOf.remove(key[slot]);
                error[slot] = count[slot];
            }
            key[slot] = k;
            slotOf.put(k, slot);
        }
        count[slot]++;
        siftDown(siftUp(at[slot]));
    }

    void clear() {
        slotOf.clear();
        size = 0;
        tokens = 0;
    }

    ExpertSets snapshot() {
        int[][] sets = new int[size][];
        long[] counts = new long[size];
        long listed = 0;
        int n = 0;
        for (int slot = 0; slot < size; slot++) {
            long sure = count[slot] - error[slot];
            if (sure > 0) {
                sets[n] = key[slot].experts().clone();
                counts[n++] = sure;
                listed += sure;
            }
        }
        return new ExpertSets(Arrays.copyOf(sets, n), Arrays.copyOf(counts, n), tokens - listed);
    }

    private int siftUp(int i) {
        int slot = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (count[heap[parent]] <= count[slot]) {
                break;
            }
            heap[i] = heap[parent];
            at[heap[i]] = i;
            i = parent;
        }
        heap[i] = slot;
        at[slot] = i;
        return i;
    }

    private void siftDown(int i) {
        int slot = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && count[heap[child + 1]] < count[heap[child]]) {
                child++;
            }
            if (count[heap[child]] >= count[slot]) {
                break;
            }
            heap[i] = heap[child];
            at[heap[i]] = i;
            i = child;
        }
        heap[i] = slot;
        at[slot] = i;
    }
}
