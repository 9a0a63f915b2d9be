package io.moemesh.bench;

import io.moemesh.bench.placement.SyntheticRouting;
import io.moemesh.core.placement.CaptureBound;
import io.moemesh.core.placement.ClusterShape;
import io.moemesh.core.placement.CoactivationPlanner;
import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.routing.RoutingStats;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Planning time at production shapes: one co-activation plan and one {@link CaptureBound} on
 * DeepSeek-V3's (58 x 256, top-8) and Qwen3-235B-A22B's (94 x 128, top-8) shapes, with the
 * issue's default cluster shape (1.25x memory, pod cap 1.5x, balance 1.25) and
 * {@link SyntheticRouting} statistics from 32,768 tokens. Run with {@code -prof gc} for the bytes
 * a plan allocates ({@code gc.alloc.rate.norm}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g"})
public class PlacementPlanningBenchmark {

    @Param({"deepseek-v3", "qwen3-235b-a22b"})
    public String model;

    private RoutingStats stats;
    private ClusterShape shape;

    @Setup
    public void setUp() {
        SyntheticRouting.Config config = "deepseek-v3".equals(model)
                ? SyntheticRouting.Config.deepSeekV3() : SyntheticRouting.Config.qwen3();
        stats = new SyntheticRouting(config, 1).sample(32768, 1, 2).stats();
        shape = ClusterShape.defaults(config.layers(), config.experts(), 4096);
    }

    @Benchmark
    public PlacementPlan plan() {
        return CoactivationPlanner.plan(stats, shape);
    }

    @Benchmark
    public double bound() {
        return CaptureBound.maxCapturedFraction(stats, shape);
    }
}
