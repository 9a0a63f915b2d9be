package io.moemesh.bench.harness;

import com.sun.management.OperatingSystemMXBean;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.gate.TopKGate;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.DenseWeights;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.router.dispatch.DispatchProperties;
import io.moemesh.router.dispatch.ExpertEndpoint;
import io.moemesh.router.dispatch.RemoteExperts;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;

/**
 * One MoE layer step, in process ({@link LocalExperts}) and distributed ({@link RemoteExperts}
 * against running expert services, e.g. those of {@code moe up}), measured in the same run at
 * several tokens per step. Routing uses the model's real gate of the layer on random hidden states.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.moemesh.bench.harness.MoeLayerHarness \
 *     MODEL_DIR EXPERTS(host:port,...|-) OUT.json [tokens,...] [iterations] \
 *     [--warmup=STEPS] [--call-timeout=DURATION] [--distributed-only]</pre>
 *
 * {@code --warmup} defaults to max(50, iterations) steps per path and size; {@code --call-timeout}
 * (e.g. {@code 60s}, {@code 500ms}) to the router's 5 s deadline of one Compute call. Both matter
 * at Mixtral-8x7B's shape on a small machine, where one 512-token step takes seconds.
 * {@code --distributed-only} skips the in-process path: for warming up or profiling the expert processes.
 */
public final class MoeLayerHarness {

    private static final int LAYER = 0;
    private static final OperatingSystemMXBean PROCESS =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    public static void main(String[] allArgs) throws Exception {
        String[] args = Arrays.stream(allArgs).filter(a -> !a.startsWith("--")).toArray(String[]::new);
        Flags flags = Flags.parse(Arrays.stream(allArgs).filter(a -> a.startsWith("--")).toList());
        Path model = Path.of(args[0]);
        List<String> experts = args[1].equals("-") ? List.of() : List.of(args[1].split(","));
        Path out = Path.of(args[2]);
        int[] tokenCounts = Arrays.stream((args.length > 3 ? args[3] : "1,8,64,512").split(","))
                .mapToInt(Integer::parseInt).toArray();
        int iterations = args.length > 4 ? Integer.parseInt(args[4]) : 50;
        int warmup = flags.warmup().orElse(Math.max(50, iterations)); // JIT: the first calls run interpreted
        DispatchProperties dispatch = flags.dispatch();

        ModelConfig config = ModelConfig.load(model);
        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            DenseWeights dense = DenseWeights.load(checkpoint, config);
            LocalExperts local = LocalExperts.load(checkpoint, config, Kernels.best());
            RemoteExperts remote = experts.isEmpty() ? null : RemoteExperts.connect(
                    experts.stream().map(t -> new ExpertEndpoint(t, t)).toList(),
                    e -> Grpc.newChannelBuilder(e.target(), InsecureChannelCredentials.create()).directExecutor()
                            .maxInboundMessageSize(64 << 20).build(),
                    config.numMoeLayers(), config.numExperts(), config.hiddenSize(), dispatch);
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int tokens : tokenCounts) {
                float[] x = hidden(tokens, config.hiddenSize());
                GateDecision[] routes = route(dense, config, x, tokens);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("tokens_per_step", tokens);
                if (!flags.distributedOnly()) {
                    row.put("in_process", measure(local, x, tokens, routes, config.hiddenSize(), warmup, iterations, null));
                }
                if (remote != null) {
                    row.put("distributed", measure(remote, x, tokens, routes, config.hiddenSize(), warmup, iterations, remote));
                }
                rows.add(row);
                System.out.println(row);
            }
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("benchmark", "moe-layer-step");
            result.put("when", Instant.now().toString());
            result.put("model", model.getFileName().toString());
            result.put("layer", LAYER);
            result.put("shape", shape(config));
            result.put("expert_endpoints", experts.size());
            result.put("warmup_steps", warmup);
            result.put("iterations", iterations);
            result.put("call_timeout", dispatch.callTimeout().toString());
            result.put("machine", Measurements.machine());
            result.put("results", rows);
            Measurements.write(out, result);
            if (remote != null) {
                remote.close();
            }
        }
    }

    private static Map<String, Object> measure(ExpertDispatch experts, float[] x, int tokens, GateDecision[] routes,
            int hidden, int warmup, int iterations, RemoteExperts traffic) {
        float[] out = new float[tokens * hidden];
        for (int i = 0; i < warmup; i++) {
            experts.combine(LAYER, x, tokens, routes, out);
        }
        RemoteExperts.Traffic before = traffic == null ? null : traffic.traffic();
        long[] nanos = new long[iterations];
        long cpuStart = PROCESS.getProcessCpuTime();
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            long t = System.nanoTime();
            experts.combine(LAYER, x, tokens, routes, out);
            nanos[i] = System.nanoTime() - t;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long cpuNanos = PROCESS.getProcessCpuTime() - cpuStart;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens_per_s", Math.round(tokens * iterations / seconds));
        m.put("mean_ms", seconds * 1e3 / iterations); // tokens_per_s is rounded: at Mixtral's shape ~50
        m.put("p50_ms", Measurements.quantile(nanos, 0.50) / 1e6);
        m.put("p99_ms", Measurements.quantile(nanos, 0.99) / 1e6);
        // In process: the experts' compute. Distributed: the router's side only (gating excluded):
        // building requests, gRPC, decoding and adding the partial sums; the expert processes are not counted.
        m.put("harness_cpu_ms_per_step", cpuNanos / 1e6 / iterations);
        if (traffic != null) {
            RemoteExperts.Traffic after = traffic.traffic();
            double steps = iterations;
            m.put("remote_calls_per_step", (after.calls() - before.calls()) / steps);
            m.put("remote_calls_per_token", (after.calls() - before.calls()) / steps / tokens);
            m.put("bytes_per_token", (after.bytesSent() - before.bytesSent() + after.bytesReceived()
                    - before.bytesReceived()) / steps / tokens);
        }
        return m;
    }

    /** The {@code --name=value} arguments; empty where not given. */
    record Flags(OptionalInt warmup, Optional<Duration> callTimeout, boolean distributedOnly) {

        static Flags parse(List<String> args) {
            OptionalInt warmup = OptionalInt.empty();
            Optional<Duration> callTimeout = Optional.empty();
            boolean distributedOnly = false;
            for (String arg : args) {
                int eq = arg.indexOf('=');
                String name = eq < 0 ? arg : arg.substring(0, eq);
                String value = eq < 0 ? "" : arg.substring(eq + 1);
                switch (name) {
                    case "--warmup" -> warmup = OptionalInt.of(Integer.parseInt(value));
                    case "--call-timeout" -> callTimeout = Optional.of(duration(value));
                    case "--distributed-only" -> distributedOnly = true;
                    default -> throw new IllegalArgumentException("unknown option " + arg
                            + "; known: --warmup=STEPS, --call-timeout=DURATION (e.g. 60s, 500ms), --distributed-only");
                }
            }
            return new Flags(warmup, callTimeout, distributedOnly);
        }

        /** The router's defaults, with the call deadline of {@code --call-timeout} where given. */
        DispatchProperties dispatch() {
            DispatchProperties d = DispatchProperties.defaults();
            return d.toBuilder().callTimeout(callTimeout.orElse(d.callTimeout())).build();
        }

        /** {@code 500ms}, {@code 30s}, {@code 2m}: the spelling of Spring's durations in our configs. */
        static Duration duration(String text) {
            String t = text.strip().toLowerCase(Locale.ROOT);
            return t.endsWith("ms") ? Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)))
                    : Duration.parse("PT" + t.toUpperCase(Locale.ROOT));
        }
    }

    private static Map<String, Object> shape(ModelConfig config) {
        Map<String, Object> shape = new LinkedHashMap<>();
        shape.put("hidden", config.hiddenSize());
        shape.put("intermediate", config.intermediateSize());
        shape.put("experts", config.numExperts());
        shape.put("top_k", config.expertsPerToken());
        return shape;
    }

    private static float[] hidden(int tokens, int hidden) {
        SplittableRandom random = new SplittableRandom(7);
        float[] x = new float[tokens * hidden];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    private static GateDecision[] route(DenseWeights dense, ModelConfig config, float[] x, int tokens) {
        float[] logits = new float[tokens * config.numExperts()];
        Kernels.best().matmul(dense.layers().get(LAYER).gate(), x, tokens, logits);
        GateDecision[] routes = new GateDecision[tokens];
        for (int t = 0; t < tokens; t++) {
            routes[t] = TopKGate.gate(logits, t * config.numExperts(), config.numExperts(), config.expertsPerToken());
        }
        return routes;
    }
}
