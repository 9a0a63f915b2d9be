package io.moemesh.placement.round;

import io.moemesh.core.routing.ExpertSets;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.proto.codec.RoutingStatsCodec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Several routers' windows as one: counts add up, the window spans them all, and the expert sets
 * of one layer add up by set (kept to {@link RoutingStatsCodec#MAX_EXPERT_SETS_PER_LAYER}, the
 * lightest joining the unlisted tokens; a router that sent none adds only unlisted tokens). The windows come from
 * peers: a window that does not fit the others (another model) or the arrays it claims, or sums that
 * would overflow, is refused with the reason instead of failing somewhere inside planning.
 */
public final class StatsMerge {

    /** Routers' statistics that cannot be planned from; the message says why. */
    public static final class RefusedStatsException extends IllegalArgumentException {
        RefusedStatsException(String message) {
            super(message);
        }
    }

    private StatsMerge() {
    }

    public static RoutingStats sum(List<RoutingStats> windows) {
        RoutingStats first = windows.getFirst();
        int layers = first.numLayers();
        int experts = first.numExperts();
        Instant start = first.windowStart();
        Instant end = first.windowEnd();
        RoutingStats sum = RoutingStats.empty(layers, experts, start, end);
        for (RoutingStats w : windows) {
            if (w.numLayers() != layers || w.numExperts() != experts) {
                throw new RefusedStatsException("routers serve different models: " + layers + "x" + experts
                        + " and " + w.numLayers() + "x" + w.numExperts() + " (layers x experts)");
            }
            checkShape(w);
            start = w.windowStart().isBefore(start) ? w.windowStart() : start;
            end = w.windowEnd().isAfter(end) ? w.windowEnd() : end;
            for (int l = 0; l < layers; l++) {
                sum.tokens()[l] = add(sum.tokens()[l], w.tokens()[l], l);
                for (int e = 0; e < experts; e++) {
                    sum.expertTokens()[l][e] = add(sum.expertTokens()[l][e], w.expertTokens()[l][e], l);
                }
                for (int i = 0; i < experts * experts; i++) {
                    sum.coactivation()[l][i] = add(sum.coactivation()[l][i], w.coactivation()[l][i], l);
                }
            }
        }
        return new RoutingStats(layers, experts, start, end, sum.tokens(), sum.expertTokens(), sum.coactivation(),
                mergeSets(windows, layers));
    }

    /** Null when no router sent expert sets. */
    private static ExpertSets[] mergeSets(List<RoutingStats> windows, int layers) {
        if (windows.stream().noneMatch(RoutingStats::hasExpertSets)) {
            return null;
        }
        ExpertSets[] merged = new ExpertSets[layers];
        for (int l = 0; l < layers; l++) {
            List<ExpertSets> parts = new ArrayList<>(windows.size());
            int listed = 0;
            for (RoutingStats w : windows) {
                ExpertSets part = w.hasExpertSets() ? w.expertSets()[l] : ExpertSets.none(w.tokens()[l]);
                parts.add(part);
                listed += part.size();
            }
            try {
                merged[l] = ExpertSets.merge(parts, Math.min(listed, RoutingStatsCodec.MAX_EXPERT_SETS_PER_LAYER));
            } catch (ArithmeticException overflow) {
                throw new RefusedStatsException("the routers' expert set counts for layer " + l + " overflow when summed");
            }
        }
        return merged;
    }

    /** The arrays hold what the shape says, with no negative count. */
    private static void checkShape(RoutingStats w) {
        int layers = w.numLayers();
        int experts = w.numExperts();
        if (w.tokens().length != layers || w.expertTokens().length != layers || w.coactivation().length != layers) {
            throw new RefusedStatsException("routing statistics for " + layers + " layers hold arrays for "
                    + w.tokens().length + "/" + w.expertTokens().length + "/" + w.coactivation().length);
        }
        for (int l = 0; l < layers; l++) {
            if (w.expertTokens()[l] == null || w.expertTokens()[l].length != experts
                    || w.coactivation()[l] == null || w.coactivation()[l].length != experts * experts) {
                throw new RefusedStatsException("routing statistics for layer " + l + " do not hold " + experts
                        + " expert counts and " + experts + "x" + experts + " co-activation counts");
            }
            if (w.hasExpertSets() && (w.expertSets().length != layers || w.expertSets()[l] == null
                    || w.expertSets()[l].size() > RoutingStatsCodec.MAX_EXPERT_SETS_PER_LAYER)) {
                throw new RefusedStatsException("routing statistics for layer " + l + " do not hold a list of at most "
                        + RoutingStatsCodec.MAX_EXPERT_SETS_PER_LAYER + " expert sets");
            }
            if (w.tokens()[l] < 0 || Arrays.stream(w.expertTokens()[l]).anyMatch(n -> n < 0)
                    || Arrays.stream(w.coactivation()[l]).anyMatch(n -> n < 0)) {
                throw new RefusedStatsException("routing statistics for layer " + l + " hold a negative count");
            }
        }
    }

    private static long add(long a, long b, int layer) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException overflow) {
            throw new RefusedStatsException("the routers' counts for layer " + layer + " overflow when summed (" + a
                    + " + " + b + ")");
        }
    }
}
