package io.moemesh.core.routing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One MoE layer's most frequent expert sets: how many tokens chose exactly each set (its experts
 * ascending), plus the tokens whose set is not listed. With top-k > 2 a token's remote calls depend
 * on its whole set, which pair counts do not determine. The list is bounded, so {@code counts} are
 * lower bounds on the true frequencies (a heavy-hitter sketch only guarantees those) and
 * {@code otherTokens} takes the rest: listed counts plus {@code otherTokens} equal the layer's tokens.
 * Arrays are owned by the record; treat as read-only.
 *
 * @param sets        {@code [i]} experts of the i-th set, strictly ascending, all the same length k
 * @param counts      {@code [i]} tokens known to have chosen exactly that set; listed heaviest first
 * @param otherTokens tokens not accounted for by a listed set
 */
public record ExpertSets(int[][] sets, long[] counts, long otherTokens) {

    public ExpertSets {
        if (sets.length != counts.length) {
            throw new IllegalArgumentException(sets.length + " expert sets but " + counts.length + " counts");
        }
    }

    public static ExpertSets none(long tokens) {
        return new ExpertSets(new int[0][], new long[0], tokens);
    }

    public int size() {
        return sets.length;
    }

    /** Tokens whose set is listed. */
    public long listedTokens() {
        long n = 0;
        for (long c : counts) {
            n += c;
        }
        return n;
    }

    /**
     * Several windows' sets as one: counts of the same set add up, then the {@code capacity}
     * heaviest are kept and the rest joins {@code otherTokens}. Lower bounds stay lower bounds and
     * the total stays exact. Ties go by a hash of the set, then the lexicographically smaller set:
     * the result depends only on the input, and when many sets seen once compete for the last
     * places (top-8 routing, where the list is largely a sample) no range of expert indices is
     * favoured, as ordering by the sets themselves would favour low indices.
     *
     * @throws ArithmeticException if a sum overflows
     */
    public static ExpertSets merge(List<ExpertSets> parts, int capacity) {
        Map<SetKey, long[]> sum = new HashMap<>();
        long other = 0;
        for (ExpertSets p : parts) {
            other = Math.addExact(other, p.otherTokens());
            for (int i = 0; i < p.size(); i++) {
                long[] c = sum.computeIfAbsent(new SetKey(p.sets()[i]), k -> new long[1]);
                c[0] = Math.addExact(c[0], p.counts()[i]);
            }
        }
        List<Map.Entry<SetKey, long[]>> entries = new ArrayList<>(sum.entrySet());
        entries.sort((a, b) -> a.getValue()[0] != b.getValue()[0]
                ? Long.compare(b.getValue()[0], a.getValue()[0])
                : a.getKey().mixed() != b.getKey().mixed() ? Long.compare(a.getKey().mixed(), b.getKey().mixed())
                : Arrays.compare(a.getKey().experts(), b.getKey().experts()));
        int kept = Math.min(capacity, entries.size());
        int[][] sets = new int[kept][];
        long[] counts = new long[kept];
        for (int i = 0; i < entries.size(); i++) {
            long c = entries.get(i).getValue()[0];
            if (i < kept) {
                sets[i] = entries.get(i).getKey().experts();
                counts[i] = c;
            } else {
                other = Math.addExact(other, c);
            }
        }
        return new ExpertSets(sets, counts, other);
    }

    /** A set as a hash key: value equality over its experts. */
    record SetKey(int[] experts) {

        @Override
        public boolean equals(Object o) {
            return o instanceof SetKey k && Arrays.equals(experts, k.experts);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(experts);
        }

        /** A well-mixed 64-bit hash (SplitMix64's finaliser over the experts) for unbiased tie-breaks. */
        long mixed() {
            long h = 0x9E3779B97F4A7C15L;
            for (int e : experts) {
                h = (h ^ e) * 0xBF58476D1CE4E5B9L;
                h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
                h ^= h >>> 31;
            }
            return h;
        }
    }
}
