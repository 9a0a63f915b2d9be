package io.moemesh.bench.placement;

import io.moemesh.core.placement.CallBound;
import io.moemesh.core.placement.ClusterShape;
import io.moemesh.core.placement.CoactivationPlanner;
import io.moemesh.core.placement.PlacementBaselines;
import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.PlanScore;
import io.moemesh.core.placement.PlanScorer;
import io.moemesh.core.routing.RoutingStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Top-8 placement from expert sets on synthetic routing ({@link SyntheticRouting}) at OLMoE's
 * shape (16 x 64) and Qwen3-30B-A3B's (48 x 128): calls per token for one service per expert, the
 * expert-set greedy and, for comparison, the pair greedy (the fallback when a router sends no
 * sets) at budgets 1.25x and 2.0x, next to {@link CallBound}. "scored" is what the planner sees
 * ({@link PlanScorer} from the listed sets, unlisted tokens at 8); "held-out" is the greedy cover of
 * tokens the planner never saw ({@link TokenCalls}), the calls a router dispatching by greedy cover
 * would make.
 *
 * <p>Arguments: output prefix, planning tokens, held-out tokens, expert sets per layer.
 */
public final class TopKPlacement {

    private TopKPlacement() {
    }

    public static void main(String[] args) throws IOException {
        String out = args[0];
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 32768;
        int heldOut = args.length > 2 ? Integer.parseInt(args[2]) : 4096;
        int setsPerLayer = args.length > 3 ? Integer.parseInt(args[3]) : 256;
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                "machine: %s, %d CPUs, JDK %s; %d planning tokens, %d held-out, %d expert sets per layer%n",
                System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(), Runtime.version(),
                tokens, heldOut, setsPerLayer));
        List<String> csv = new ArrayList<>();
        csv.add("shape,budget,strategy,scored_calls,heldout_calls,heldout_p99,heldout_all_or_each,max_mean_load,"
                + "listed_fraction,seconds");
        for (SyntheticRouting.Config c : List.of(SyntheticRouting.Config.olmoe(), SyntheticRouting.Config.qwen3Small())) {
            evaluate(c, tokens, heldOut, setsPerLayer, text, csv);
        }
        Files.writeString(Path.of(out + ".txt"), text);
        Files.write(Path.of(out + ".csv"), csv);
        System.out.print(text);
    }

    private static void evaluate(SyntheticRouting.Config c, int tokens, int heldOut, int setsPerLayer,
            StringBuilder text, List<String> csv) {
        SyntheticRouting.Sample sample = new SyntheticRouting(c, ProductionPlacement.GENERATOR_SEED)
                .sample(tokens, heldOut, ProductionPlacement.SAMPLE_SEED, setsPerLayer);
        RoutingStats sets = sample.stats();
        RoutingStats pairsOnly = new RoutingStats(sets.numLayers(), sets.numExperts(), sets.windowStart(),
                sets.windowEnd(), sets.tokens(), sets.expertTokens(), sets.coactivation());
        text.append(String.format(Locale.ROOT, "%n== %s: %d layers x %d experts, top-%d%n", c.name(), c.layers(),
                c.experts(), c.topK()));
        text.append(String.format("%-22s %6s %8s %9s %9s %5s %11s %9s %7s%n", "strategy", "budget", "scored",
                "held-out", "max/mean", "p99", "all-or-each", "listed", "seconds"));
        for (double budget : new double[] {1.25, 2.0}) {
            ClusterShape shape = shape(c, budget);
            row(c, "one-service-per-expert", budget, PlacementBaselines.oneServicePerExpert(sets, shape), 0,
                    sample, shape, text, csv);
            long t0 = System.nanoTime();
            PlacementPlan planned = CoactivationPlanner.plan(sets, shape);
            row(c, "expert-set greedy", budget, planned, (System.nanoTime() - t0) / 1e9, sample, shape, text, csv);
            t0 = System.nanoTime();
            PlacementPlan byPairs = CoactivationPlanner.plan(pairsOnly, shape);
            row(c, "pair greedy", budget, byPairs, (System.nanoTime() - t0) / 1e9, sample, shape, text, csv);
            t0 = System.nanoTime();
            double bound = CallBound.minCallsPerToken(sets, shape);
            double seconds = (System.nanoTime() - t0) / 1e9;
            text.append(String.format(Locale.ROOT, "%-22s %5.2fx %8.3f %9s %9s %5s %11s %9s %7.2f%n", "CallBound",
                    budget, bound, "", "", "", "", "", seconds));
            csv.add(String.format(Locale.ROOT, "%s,%.2f,CallBound,%.4f,,,,,,%.3f", c.name(), budget, bound, seconds));
        }
    }

    /** A pod may hold its own units plus twice its even share of the partner budget. */
    static ClusterShape shape(SyntheticRouting.Config c, double budget) {
        int base = c.layers() * c.experts();
        int total = (int) Math.round(base * budget);
        int cap = c.layers() + (int) Math.ceil(2.0 * (total - base) / c.experts());
        return ClusterShape.defaults(c.layers(), c.experts(), 4096).withBudget(total, cap);
    }

    private static void row(SyntheticRouting.Config c, String name, double budget, PlacementPlan plan, double seconds,
            SyntheticRouting.Sample sample, ClusterShape shape, StringBuilder text, List<String> csv) {
        PlanScore in = PlanScorer.score(plan, sample.stats(), shape);
        TokenCalls.Calls held = TokenCalls.perToken(plan, c.layers(), c.experts(), sample.heldOut(), c.topK());
        double allOrEach = allOrEach(plan, c, sample.heldOut());
        text.append(String.format(Locale.ROOT, "%-22s %5.2fx %8.3f %9.3f %9.3f %5d %11.3f %9.3f %7.2f%n", name, budget,
                in.remoteCallsPerToken(), held.mean(), in.maxMeanLoad(), held.p99(), allOrEach,
                in.listedTokenFraction(), seconds));
        csv.add(String.format(Locale.ROOT, "%s,%.2f,%s,%.4f,%.4f,%d,%.4f,%.4f,%.4f,%.3f", c.name(), budget, name,
                in.remoteCallsPerToken(), held.mean(), held.p99(), allOrEach, in.maxMeanLoad(),
                in.listedTokenFraction(), seconds));
    }

    /**
     * Held-out calls per token under the router's dispatch before it covers sets: one call when one
     * service hosts all k experts, else one per expert (k; an upper bound, since two experts may
     * happen to pick the same least-loaded host).
     */
    static double allOrEach(PlacementPlan plan, SyntheticRouting.Config c, int[][] heldOut) {
        int k = c.topK();
        long calls = 0;
        long samples = 0;
        for (int l = 0; l < c.layers(); l++) {
            for (int t = 0; t < heldOut[l].length / k; t++) {
                boolean one = false;
                for (int s = 0; s < plan.hosted().size() && !one; s++) {
                    boolean all = true;
                    for (int a = 0; a < k && all; a++) {
                        all = plan.hosted().get(s).contains(new io.moemesh.core.placement.Unit(l, heldOut[l][t * k + a]));
                    }
                    one = all;
                }
                calls += one ? 1 : k;
                samples++;
            }
        }
        return calls / (double) samples;
    }
}
