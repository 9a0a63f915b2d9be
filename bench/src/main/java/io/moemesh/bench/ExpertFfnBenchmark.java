package io.moemesh.bench;

import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.ExpertFfn;
import io.moemesh.core.model.ExpertWeights;
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
 * One expert's SwiGLU FFN over a batch of tokens (BF16 weights, F32 activations): the work an
 * expert service does per call. Scalar and Vector API kernels run in the same JVM, so the report
 * is a ratio.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ExpertFfnBenchmark {

    /** hidden x intermediate: the default model's expert, and a wider one closer to production shapes. */
    @Param({"192x384", "1024x2816"})
    public String shape;

    @Param({"1", "8", "64"})
    public int tokens;

    @Param({"scalar", "vector"})
    public String kernels;

    private ExpertFfn ffn;
    private ExpertWeights weights;
    private ExpertFfn.Scratch scratch;
    private float[] x;
    private float[] out;

    @Setup
    public void setUp() {
        String[] dims = shape.split("x");
        int hidden = Integer.parseInt(dims[0]);
        int intermediate = Integer.parseInt(dims[1]);
        SyntheticModel model = new SyntheticModel();
        weights = model.expert(0, 0, hidden, intermediate);
        ffn = new ExpertFfn("vector".equals(kernels) ? Kernels.vector() : Kernels.scalar());
        scratch = ExpertFfn.Scratch.forTokens(tokens, intermediate);
        x = model.activations(tokens * hidden);
        out = new float[tokens * hidden];
    }

    @Benchmark
    public void forward(Blackhole bh) {
        ffn.forward(weights, x, tokens, scratch, out);
        bh.consume(out);
    }
}
