package io.moemesh.bench.placement;

import io.moemesh.core.placement.CaptureBound;
import io.moemesh.core.placement.ClusterShape;
import io.moemesh.core.placement.CoactivationPlanner;
import io.moemesh.core.placement.PlacementBaselines;
import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.PlanScore;
import io.moemesh.core.placement.PlanScorer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Issue 18 part 4: the planner, its bound and its baselines on DeepSeek-V3's and
 * Qwen3-235B-A22B's shapes with {@link SyntheticRouting} statistics, then node-level layouts
 * against DeepSeek's EPLB. Plans come from one sample, calls per token from held-out tokens.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.moemesh.bench.placement.ProductionPlacement \
 *     OUT_PREFIX [TOKENS] [HELD_OUT]</pre>
 * Writes {@code OUT_PREFIX.txt} (the tables) and {@code OUT_PREFIX.csv} (one row per shape x strategy).
 */
public final class ProductionPlacement {

    static final long GENERATOR_SEED = 1;
    static final long SAMPLE_SEED = 2;
    static final int GPUS_PER_NODE = 8;

    private ProductionPlacement() {
    }

    public static void main(String[] args) throws IOException {
        String out = args[0];
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 32768;
        int heldOut = args.length > 2 ? Integer.parseInt(args[2]) : 4096;
        StringBuilder text = new StringBuilder();
        List<String> csv = new ArrayList<>();
        csv.add("shape,level,strategy,memory,captured_pair_fraction,max_mean_load,calls_per_token,calls_p99,seconds");
        text.append(String.format("machine: %s, %d CPUs, JDK %s; %d planning tokens, %d held-out tokens%n",
                System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(),
                Runtime.version(), tokens, heldOut));
        for (SyntheticRouting.Config config : List.of(SyntheticRouting.Config.deepSeekV3(), SyntheticRouting.Config.qwen3())) {
            evaluate(config, tokens, heldOut, text, csv);
        }
        Files.writeString(Path.of(out + ".txt"), text);
        Files.write(Path.of(out + ".csv"), csv);
        System.out.print(text);
    }

    private static void evaluate(SyntheticRouting.Config c, int tokens, int heldOut, StringBuilder text, List<String> csv) {
        long t0 = System.nanoTime();
        SyntheticRouting.Sample sample = new SyntheticRouting(c, GENERATOR_SEED).sample(tokens, heldOut, SAMPLE_SEED);
        double genSeconds = seconds(t0);
        RoutingShape rs = RoutingShape.of(sample.stats());
        text.append(String.format(Locale.ROOT, "%n== %s: %d layers x %d experts, top-%d (generated in %.1f s)%n"
                + "expert load max/mean: %.2f mean over layers, %.2f worst layer; top 1%% of pairs hold %.1f%% of pair mass (%.1fx uniform)%n",
                c.name(), c.layers(), c.experts(), c.topK(), genSeconds, rs.maxMeanExpertLoad(), rs.worstMaxMeanLoad(),
                100 * rs.topPercentPairShare(), rs.topPercentPairLift()));
        ClusterShape shape = ClusterShape.defaults(c.layers(), c.experts(), 4096);
        t0 = System.nanoTime();
        PlacementPlan planned = CoactivationPlanner.plan(sample.stats(), shape);
        double planSeconds = seconds(t0);
        t0 = System.nanoTime();
        double bound = CaptureBound.maxCapturedFraction(sample.stats(), shape);
        double boundSeconds = seconds(t0);
        text.append(String.format(Locale.ROOT, "budget %.2fx (%d partner units), pod cap %d units, balance %.2f; "
                + "plan %.2f s, bound %.2f s (single cold run; JMH numbers separately)%n",
                shape.maxTotalUnits() / (double) shape.baseUnits(), shape.extraUnits(), shape.perServiceUnitCap(),
                shape.balanceBound(), planSeconds, boundSeconds));
        text.append(String.format(Locale.ROOT, "CaptureBound (planning sample): %.4f%n", bound));
        text.append(String.format("%-26s %7s %9s %9s %9s %9s %6s%n", "service level", "memory", "captured",
                "held-out", "max/mean", "calls/tok", "p99"));
        List<Object[]> plans = List.of(
                new Object[] {"one-service-per-expert", PlacementBaselines.oneServicePerExpert(sample.stats(), shape)},
                new Object[] {"random co-location", PlacementBaselines.randomCoLocation(sample.stats(), shape,
                        shape.extraUnits(), new SplittableRandom(1))},
                new Object[] {"eplb-style replication", PlacementBaselines.loadOnlyReplication(sample.stats(), shape)},
                new Object[] {"co-activation planner", planned});
        for (Object[] p : plans) {
            PlacementPlan plan = (PlacementPlan) p[1];
            PlanScore in = PlanScorer.score(plan, sample.stats(), shape);
            PlanScore out = PlanScorer.score(plan, sample.heldOutStats(), shape);
            TokenCalls.Calls calls = TokenCalls.perToken(plan, c.layers(), c.experts(), sample.heldOut(), c.topK());
            text.append(String.format(Locale.ROOT, "%-26s %6.3fx %9.4f %9.4f %9.3f %9.3f %6d%n", p[0], in.memoryRatio(),
                    in.capturedPairFraction(), out.capturedPairFraction(), out.maxMeanLoad(), calls.mean(), calls.p99()));
            csv.add(String.format(Locale.ROOT, "%s,service,%s,%.4f,%.5f,%.4f,%.4f,%d,%s", c.name(), p[0], in.memoryRatio(),
                    out.capturedPairFraction(), out.maxMeanLoad(), calls.mean(), calls.p99(),
                    plan == planned ? String.format(Locale.ROOT, "%.3f", planSeconds) : ""));
        }
        nodeLevel(c, sample, text, csv);
    }

    private static void nodeLevel(SyntheticRouting.Config c, SyntheticRouting.Sample sample, StringBuilder text, List<String> csv) {
        int nodes = c.experts() / GPUS_PER_NODE;
        text.append(String.format("%n%s node level: %d nodes x %d GPUs, one expert per GPU per layer at 1.0x%n",
                c.name(), nodes, GPUS_PER_NODE));
        text.append(String.format("%-34s %7s %10s %6s %14s %12s%n", "layout", "memory", "nodes/tok", "p99",
                "node max/mean", "worst layer"));
        long t0 = System.nanoTime();
        int[][] coact = CoactivationNodePlanner.assign(sample.stats(), nodes, 1.10, 2);
        double coactSeconds = seconds(t0);
        List<NodeLayout> layouts = List.of(
                NodeLayout.contiguous(c.layers(), c.experts(), nodes),
                NodeLayout.roundRobin(c.layers(), c.experts(), nodes),
                HierarchicalEplb.layout(sample.stats(), nodes, GPUS_PER_NODE, 2 * nodes, 1.0),
                HierarchicalEplb.layout(sample.stats(), nodes, GPUS_PER_NODE, 2 * nodes, 1.25),
                HierarchicalEplb.layout(sample.stats(), nodes, GPUS_PER_NODE, 8, 1.25),
                NodeLayout.single("co-activation nodes (bound 1.10)", nodes, coact),
                NodeReplication.withinNodes("co-activation nodes + eplb 1.25x", sample.stats(), nodes, coact, 1.25));
        for (NodeLayout layout : layouts) {
            TokenCalls.Calls calls = layout.nodesPerToken(sample.heldOut(), c.topK());
            double[] load = layout.maxMeanNodeLoad(sample.heldOutStats());
            text.append(String.format(Locale.ROOT, "%-34s %6.2fx %10.3f %6d %14.3f %12.3f%n", layout.name(), layout.memory(),
                    calls.mean(), calls.p99(), load[0], load[1]));
            csv.add(String.format(Locale.ROOT, "%s,node,%s,%.4f,,%.4f,%.4f,%d,%s", c.name(), layout.name(), layout.memory(),
                    load[0], calls.mean(), calls.p99(),
                    layout.name().startsWith("co-activation nodes (") ? String.format(Locale.ROOT, "%.3f", coactSeconds) : ""));
        }
        text.append(String.format(Locale.ROOT, "co-activation node assignment took %.2f s%n", coactSeconds));
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
