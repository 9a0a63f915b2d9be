package io.moemesh.core.placement;

import java.util.Arrays;

/**
 * One (service, layer) group's candidate additions for {@link CoactivationPlanner}: a lazy max-heap
 * of partner experts by the pair mass each would newly co-host, and the experts the group refused
 * with a lower bound on the load increase each would cause.
 *
 * <p>Heap entries hold the mass as last computed. While the group's own units stay put a
 * candidate's new pair mass can only fall (its pairs get co-hosted elsewhere), so an entry is never
 * below the truth and the top, once recomputed and unchanged, is the group's best. Within a group
 * every gain divides by the same layer mass, so ordering by mass (then expert) is ordering by gain.
 * Primitive arrays, reused across rebuilds, because a plan at DeepSeek-V3's shape rebuilds and
 * re-keys groups millions of times.
 *
 * <p>A refused expert is out of the heap until released. Its recorded increase is a lower bound on
 * what adding it would now cost the service, which lets the planner decide "still refused" from a
 * comparison instead of a trial; {@link #least()} is a lower bound on the smallest of them.
 */
final class CandidateGroup {

    private final int experts;
    private long[] mass;
    private int[] expert;
    private int size;
    private boolean built;
    private double[] refused; // [expert]: lower bound on the load increase, NaN when not refused
    private int refusedCount;
    private double least = Double.POSITIVE_INFINITY;

    CandidateGroup(int experts) {
        this.experts = experts;
    }

    /** Whether the heap holds the group's candidates; before that only the planner's first scan did. */
    boolean built() {
        return built;
    }

    /** Forgets the heap and every refusal: the group's own units changed, so both are void. */
    void clear() {
        built = false;
        size = 0;
        if (refusedCount > 0) {
            Arrays.fill(refused, Double.NaN);
        }
        refusedCount = 0;
        least = Double.POSITIVE_INFINITY;
    }

    /** Starts a rebuild; follow with {@link #append} for every candidate, then {@link #heapify}. */
    void startBuild() {
        if (mass == null) {
            mass = new long[experts];
            expert = new int[experts];
        }
        built = true;
        size = 0;
    }

    void append(long m, int e) {
        mass[size] = m;
        expert[size++] = e;
    }

    void heapify() {
        for (int i = size / 2 - 1; i >= 0; i--) {
            siftDown(i);
        }
    }

    boolean isEmpty() {
        return size == 0;
    }

    long topMass() {
        return mass[0];
    }

    int topExpert() {
        return expert[0];
    }

    void pop() {
        size--;
        if (size > 0) {
            mass[0] = mass[size];
            expert[0] = expert[size];
            siftDown(0);
        }
    }

    void push(long m, int e) {
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!before(m, e, mass[parent], expert[parent])) {
                break;
            }
            mass[i] = mass[parent];
            expert[i] = expert[parent];
            i = parent;
        }
        mass[i] = m;
        expert[i] = e;
    }

    boolean isRefused(int e) {
        return refusedCount > 0 && !Double.isNaN(refused[e]);
    }

    int refusedCount() {
        return refusedCount;
    }

    /** Lower bound on the increase recorded for a refused expert. */
    double need(int e) {
        return refused[e];
    }

    /** Lower bound on every recorded increase. */
    double least() {
        return least;
    }

    void setLeast(double least) {
        this.least = least;
    }

    /** Records a refusal (or replaces its bound); the expert must not be in the heap. */
    void refuse(int e, double need) {
        if (refused == null) {
            refused = new double[experts];
            Arrays.fill(refused, Double.NaN);
        }
        if (Double.isNaN(refused[e])) {
            refusedCount++;
        }
        refused[e] = need;
        least = Math.min(least, need);
    }

    void release(int e) {
        refused[e] = Double.NaN;
        refusedCount--;
    }

    private void siftDown(int i) {
        long m = mass[i];
        int e = expert[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && before(mass[child + 1], expert[child + 1], mass[child], expert[child])) {
                child++;
            }
            if (!before(mass[child], expert[child], m, e)) {
                break;
            }
            mass[i] = mass[child];
            expert[i] = expert[child];
            i = child;
        }
        mass[i] = m;
        expert[i] = e;
    }

    private static boolean before(long ma, int ea, long mb, int eb) {
        return ma > mb || ma == mb && ea < eb;
    }
}
