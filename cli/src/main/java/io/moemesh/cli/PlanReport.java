package io.moemesh.cli;

import io.moemesh.core.placement.PlanFile;
import io.moemesh.core.placement.Unit;
import io.moemesh.proto.internal.v1.LayerRoutingStats;
import io.moemesh.proto.internal.v1.PlacementStatus;
import io.moemesh.proto.internal.v1.ServicePlacement;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** Renders a PlacementStatus for people: {@code moe plan}'s output. */
final class PlanReport {

    private PlanReport() {
    }

    static void print(PlacementStatus s, String controller, int topPairs, PrintWriter out) {
        out.printf("placement controller %s: %d plans applied%s%s%n", controller, s.getPlansApplied(),
                s.getLastAppliedUnixMillis() == 0 ? "" : ", last at " + Instant.ofEpochMilli(s.getLastAppliedUnixMillis()),
                s.getDryRun() ? " (dry run)" : "");
        out.printf("last round%s: %s%n", s.getLastRoundUnixMillis() == 0 ? ""
                : " (" + Instant.ofEpochMilli(s.getLastRoundUnixMillis()) + ")", s.getLastDecision());
        if (s.getServicesCount() == 0) {
            return;
        }
        out.println();
        int k = s.getTopK() == 0 ? 2 : s.getTopK();
        out.printf("remote expert calls per token per layer (top-%d: %d.000 = every token calls %d endpoints)%s:%n", k, k, k,
                callModel(s));
        out.printf("  observed  %.3f   (measured by the router since the controller's previous round; %s)%n",
                s.getObservedCallsPerToken(), s.getObservedCallsPerToken() == 0 ? "no traffic"
                        : String.format("%.0f bytes per token per layer", s.getObservedBytesPerToken()));
        out.printf("  expected  %.3f   (live placement on the window's routing)%n", s.getExpectedCallsPerToken());
        out.printf("  baseline  %.3f   (one service per expert, no co-location)%n", s.getBaselineCallsPerToken());
        if (s.getCandidateCallsPerToken() > 0) {
            out.printf("  candidate %.3f   (the planner's plan; applied when it cuts expected calls by >= %.1f%%)%n",
                    s.getCandidateCallsPerToken(), 100 * s.getMinGain());
        }
        out.printf("expert memory %.3fx of one copy per unit; busiest service carries %.2fx the mean load%n",
                s.getMemoryRatio(), s.getMaxMeanLoad());
        out.println();
        out.println("units hosted per service (own expert of every layer + partners as EXPERT:LAYER; replica targets"
                + " are applied on Kubernetes, and in local mode within --max-expert-processes):");
        for (ServicePlacement p : s.getServicesList()) {
            SortedSet<Unit> partners = new TreeSet<>();
            p.getUnitsList().stream().filter(u -> u.getExpert() != p.getService())
                    .forEach(u -> partners.add(new Unit(u.getLayer(), u.getExpert())));
            out.printf("  expert-%-3d %2d units  partners %-28s endpoints %s%s%n", p.getService(), p.getUnitsCount(),
                    partners.isEmpty() ? "-" : PlanFile.spell(partners), String.join(",", p.getEndpointsList()),
                    p.getReplicaTarget() == 0 ? "" : "  (replica target " + p.getReplicaTarget() + ")");
        }
        if (s.getLocalMode()) {
            printLocal(s, out);
        }
        if (s.hasStats()) {
            printCoactivation(s, topPairs, out);
            if (s.getStats().getExpertSetsRecorded() && k > 2) {
                printExpertSets(s, topPairs, out);
            }
        }
    }

    /**
     * Local mode ({@code moe up} with the controller managing expert processes): the pruned experts
     * and why, and per service its processes, their target and its share of the routed token-slots.
     */
    private static void printLocal(PlacementStatus s, PrintWriter out) {
        out.println();
        out.printf("pruned experts: %s (reroutes %.2f%% of routed token-slots, quality budget %.2f%%)%n",
                s.getPrunedExpertsCount() == 0 ? "none" : s.getPrunedExpertsList().stream().map(String::valueOf)
                        .collect(Collectors.joining(", ")),
                100 * s.getReroutedShare(), 100 * s.getQualityBudget());
        out.printf("  pruning: %s%n", s.getPruningDecision().isEmpty() ? "off" : s.getPruningDecision());
        out.printf("expert processes: %d running%s%n", s.getExpertProcesses(), s.getMaxExpertProcesses() == 0
                ? " (no replicas: --max-expert-processes 0)" : ", at most " + s.getMaxExpertProcesses());
        for (ServicePlacement p : s.getServicesList()) {
            out.printf("  expert-%-3d %d/%d processes  share %5.2f%%%s%n", p.getService(), p.getLocalReplicas(),
                    p.getLocalReplicaTarget(), 100 * p.getRoutingShare(), p.getPruned() ? "  PRUNED" : "");
        }
        if (!s.getLocalDecision().isEmpty()) {
            out.printf("  last local step: %s%n", s.getLocalDecision());
        }
    }

    /** Where the expected, baseline and candidate numbers come from, when the controller said. */
    private static String callModel(PlacementStatus s) {
        if (s.getCallModel().isEmpty()) {
            return "";
        }
        String listed = s.getCallModel().startsWith("expert sets")
                ? String.format(", %.1f%% of tokens in listed sets", 100 * s.getListedTokenFraction()) : "";
        return "; expected, baseline and candidate counted from " + s.getCallModel() + listed;
    }

    /** Per layer: the whole expert sets chosen most often, with their share of the layer's tokens. */
    private static void printExpertSets(PlacementStatus s, int top, PrintWriter out) {
        out.println();
        out.printf("expert sets (top %d per layer, share of the layer's tokens):%n", top);
        for (LayerRoutingStats layer : s.getStats().getLayersList()) {
            StringBuilder line = new StringBuilder(String.format("  layer %-3d", layer.getLayer()));
            for (int i = 0; i < Math.min(top, layer.getExpertSetsCount()) && layer.getTokens() > 0; i++) {
                var set = layer.getExpertSets(i);
                line.append(String.format(" {%s} %.1f%%", set.getExpertsList().stream().map(String::valueOf)
                        .collect(Collectors.joining(",")), 100.0 * set.getTokens() / layer.getTokens()));
            }
            out.println(line);
        }
    }

    /** Per layer: tokens, and the pairs chosen together most often with their share of the layer's pairs. */
    private static void printCoactivation(PlacementStatus s, int topPairs, PrintWriter out) {
        int experts = s.getStats().getNumExperts();
        long seconds = (s.getStats().getWindowEndUnixMillis() - s.getStats().getWindowStartUnixMillis()) / 1000;
        out.println();
        out.printf("co-activation over the last %d s (top %d pairs per layer, share of the layer's pairs):%n",
                seconds, topPairs);
        for (LayerRoutingStats layer : s.getStats().getLayersList()) {
            List<long[]> pairs = new ArrayList<>();
            long all = 0;
            for (int i = 0; i < experts; i++) {
                for (int j = i + 1; j < experts; j++) {
                    long c = layer.getCoactivation(i * experts + j);
                    all += c;
                    pairs.add(new long[] {i, j, c});
                }
            }
            pairs.sort(Comparator.comparingLong((long[] p) -> -p[2]));
            StringBuilder line = new StringBuilder(String.format("  layer %-3d %8d tokens ", layer.getLayer(),
                    layer.getTokens()));
            for (int k = 0; k < Math.min(topPairs, pairs.size()) && all > 0; k++) {
                long[] p = pairs.get(k);
                line.append(String.format(" (%d,%d) %.1f%%", p[0], p[1], 100.0 * p[2] / all));
            }
            out.println(line);
        }
    }
}
