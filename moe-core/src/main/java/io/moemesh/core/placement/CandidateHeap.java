package io.moemesh.core.placement;

import java.util.Arrays;

/**
 * A growable binary max-heap of (gain, key) in primitive arrays, gain descending then key ascending,
 * so equal gains pop in (service, layer, expert) order and plans depend only on their input.
 */
final class CandidateHeap {

    private double[] gain = new double[64];
    private long[] key = new long[64];
    private int size;

    boolean isEmpty() {
        return size == 0;
    }

    double topGain() {
        return gain[0];
    }

    void push(double g, long k) {
        if (size == gain.length) {
            gain = Arrays.copyOf(gain, 2 * size);
            key = Arrays.copyOf(key, 2 * size);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!before(g, k, gain[parent], key[parent])) {
                break;
            }
            gain[i] = gain[parent];
            key[i] = key[parent];
            i = parent;
        }
        gain[i] = g;
        key[i] = k;
    }

    /** Removes the top and returns its key. */
    long pop() {
        long top = key[0];
        size--;
        if (size > 0) {
            double g = gain[size];
            long k = key[size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && before(gain[child + 1], key[child + 1], gain[child], key[child])) {
                    child++;
                }
                if (!before(gain[child], key[child], g, k)) {
                    break;
                }
                gain[i] = gain[child];
                key[i] = key[child];
                i = child;
            }
            gain[i] = g;
            key[i] = k;
        }
        return top;
    }

    private static boolean before(double ga, long ka, double gb, long kb) {
        return ga > gb || ga == gb && ka < kb;
    }
}
