package io.moemesh.bench;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.KvCache;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.model.TokenBatch;
import java.util.Arrays;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * One decode step of the whole in-process model (dense part + local experts) for a batch of
 * sequences at position 64, in the shape planned for the default model (4 layers, hidden 192,
 * 16 experts of 384, top-2).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class DecodeStepBenchmark {

    private static final int POSITION = 64;

    @Param({"1", "8"})
    public int sequences;

    @Param({"scalar", "vector"})
    public String kernels;

    private DenseTransformer dense;
    private LocalExperts experts;
    private TokenBatch batch;

    @Setup
    public void setUp() {
        ModelConfig config = SyntheticModel.defaultShape(192, 384);
        SyntheticModel model = new SyntheticModel();
        Kernels k = "vector".equals(kernels) ? Kernels.vector() : Kernels.scalar();
        dense = new DenseTransformer(config, model.dense(config), k, 0);
        experts = new LocalExperts(model.experts(config), k);
        int[] tokens = new int[sequences];
        int[] positions = new int[sequences];
        KvCache[] caches = new KvCache[sequences];
        boolean[] want = new boolean[sequences];
        for (int s = 0; s < sequences; s++) {
            tokens[s] = 17 * s + 3;
            positions[s] = POSITION;
            caches[s] = new KvCache(config, POSITION + 1);
        }
        Arrays.fill(want, true);
        batch = new TokenBatch(tokens, positions, caches, want);
    }

    @Benchmark
    public void step(Blackhole bh) {
        bh.consume(dense.forward(batch, experts, RoutingObserver.NONE));
    }
}
