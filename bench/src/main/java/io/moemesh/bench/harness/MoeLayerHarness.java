package io.moemesh.bench.harness;

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
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One MoE layer step, in process ({@link LocalExperts}) and distributed ({@link RemoteExperts}
 * against running expert services, e.g. those of {@code moe up}), measured in the same run at
 * several tokens per step. Routing uses the model's real gate of the layer on random hidden states.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.moemesh.bench.harness.MoeLayerHarness \
 *     MODEL_DIR EXPERTS(host:port,...|-) OUT.json [tokens,...] [iterations]</pre>
 */
public final class MoeLayerHarness {

    private static final int LAYER = 0;

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        List<String> experts = args[1].equals("-") ? List.of() : List.of(args[1].split(","));
        Path out = Path.of(args[2]);
        int[] tokenCounts = Arrays.stream((args.length > 3 ? args[3] : "1,8,64,512").split(","))
                .mapToInt(Integer::parseInt).toArray();
        int iterations = args.length > 4 ? Integer.parseInt(args[4]) : 50;

        ModelConfig config = ModelConfig.load(model);
        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            DenseWeights dense = DenseWeights.load(checkpoint, config);
            LocalExperts local = LocalExperts.load(checkpoint, config, Kernels.best());
            RemoteExperts remote = experts.isEmpty() ? null : RemoteExperts.connect(
                    experts.stream().map(t -> new ExpertEndpoint(t, t)).toList(),
                    e -> Grpc.newChannelBuilder(e.target(), InsecureChannelCredentials.create())
                            .maxInboundMessageSize(64 << 20).build(),
                    config.numLayers(), config.numExperts(), config.hiddenSize(), DispatchProperties.defaults());
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int tokens : tokenCounts) {
                float[] x = hidden(tokens, config.hiddenSize());
                GateDecision[] routes = route(dense, config, x, tokens);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("tokens_per_step", tokens);
                row.put("in_process", measure(local, x, tokens, routes, config.hiddenSize(), iterations, null));
                if (remote != null) {
                    row.put("distributed", measure(remote, x, tokens, routes, config.hiddenSize(), iterations, remote));
                }
                rows.add(row);
                System.out.println(row);
            }
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("benchmark", "moe-layer-step");
            result.put("when", Instant.now().toString());
            result.put("model", model.getFileName().toString());
            result.put("layer", LAYER);
            result.put("expert_endpoints", experts.size());
            result.put("iterations", iterations);
            result.put("machine", Measurements.machine());
            result.put("results", rows);
            Measurements.write(out, result);
            if (remote != null) {
                remote.close();
            }
        }
    }

    private static Map<String, Object> measure(ExpertDispatch experts, float[] x, int tokens, GateDecision[] routes,
            int hidden, int iterations, RemoteExperts traffic) {
        float[] out = new float[tokens * hidden];
        int warmup = Math.max(50, iterations); // JIT: the first calls run interpreted
        for (int i = 0; i < warmup; i++) {
            experts.combine(LAYER, x, tokens, routes, out);
        }
        RemoteExperts.Traffic before = traffic == null ? null : traffic.traffic();
        long[] nanos = new long[iterations];
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            long t = System.nanoTime();
            experts.combine(LAYER, x, tokens, routes, out);
            nanos[i] = System.nanoTime() - t;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens_per_s", Math.round(tokens * iterations / seconds));
        m.put("p50_ms", Measurements.quantile(nanos, 0.50) / 1e6);
        m.put("p99_ms", Measurements.quantile(nanos, 0.99) / 1e6);
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
