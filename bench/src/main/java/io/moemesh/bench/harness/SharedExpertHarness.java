package io.moemesh.bench.harness;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.kernel.Kernels;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Where a shared expert or a dense MLP layer should run (docs/adr/0003): the SwiGLU FFN of one
 * such unit computed in the router's process ({@link LocalExperts}, option a) against one real gRPC
 * {@code Compute} round trip carrying the same tokens to an expert service hosting a unit of that
 * shape ({@link RemoteExperts}, option b), and both while the step's routed-expert calls are in
 * flight (does the shared work hide behind them?). Every unit is expert 0 of layer 0 of a model
 * written by {@code tools/reference/make_moe_layer.py} with the unit's shape; every token goes to
 * it with weight 1, so both paths multiply the same weights for the same tokens.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.moemesh.bench.harness.SharedExpertHarness OUT.json \
 *     TOKENS,... ITERATIONS --routed=MODEL_DIR@host:port,host:port,... \
 *     --unit=NAME=MODEL_DIR@host:port [--unit=...]</pre>
 *
 * The routed calls send every token to every endpoint of {@code --routed} (a top-k over k services,
 * weights 1/k), the longest a step's routed calls take at that many tokens.
 */
public final class SharedExpertHarness {

    private static final int LAYER = 0;
    private static final int WARMUP = 40;
    private static final int JIT_STEPS = 500;

    record Unit(String name, Path model, String target) {

        static Unit parse(String spec) {
            int eq = spec.indexOf('=');
            int at = spec.lastIndexOf('@');
            return new Unit(spec.substring(0, eq), Path.of(spec.substring(eq + 1, at)), spec.substring(at + 1));
        }
    }

    public static void main(String[] allArgs) throws Exception {
        List<String> positional = Arrays.stream(allArgs).filter(a -> !a.startsWith("--")).toList();
        Path out = Path.of(positional.get(0));
        int[] tokenCounts = Arrays.stream(positional.get(1).split(",")).mapToInt(Integer::parseInt).toArray();
        int iterations = Integer.parseInt(positional.get(2));
        List<Unit> units = new ArrayList<>();
        String routedSpec = null;
        for (String a : allArgs) {
            if (a.startsWith("--unit=")) {
                units.add(Unit.parse(a.substring("--unit=".length())));
            } else if (a.startsWith("--routed=")) {
                routedSpec = a.substring("--routed=".length());
            } else if (a.startsWith("--")) {
                throw new IllegalArgumentException("unknown option " + a + "; known: --unit=NAME=DIR@host:port, "
                        + "--routed=DIR@host:port,...");
            }
        }
        int at = routedSpec.lastIndexOf('@');
        Path routedModel = Path.of(routedSpec.substring(0, at));
        List<String> routedTargets = List.of(routedSpec.substring(at + 1).split(","));
        ExecutorService inFlight = Executors.newSingleThreadExecutor();
        try (RemoteExperts routed = connect(routedModel, routedTargets)) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Unit unit : units) {
                ModelConfig config = ModelConfig.load(unit.model());
                try (Checkpoint checkpoint = Checkpoint.open(unit.model());
                        RemoteExperts remote = connect(unit.model(), List.of(unit.target()))) {
                    LocalExperts local = LocalExperts.load(checkpoint, config, Kernels.best());
                    compileLoneRowPath(local, config.hiddenSize());
                    for (int tokens : tokenCounts) {
                        rows.add(measureUnit(unit, config, local, remote, routed, routedTargets.size(), tokens,
                                iterations, inFlight));
                    }
                }
            }
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("benchmark", "shared-expert-placement");
            result.put("when", Instant.now().toString());
            result.put("kernels", Kernels.best().getClass().getSimpleName());
            result.put("routed_model", routedModel.toString());
            result.put("routed_endpoints", routedTargets.size());
            result.put("warmup_steps", WARMUP);
            result.put("iterations", iterations);
            result.put("machine", Measurements.machine());
            result.put("results", rows);
            Measurements.write(out, result);
        } finally {
            inFlight.shutdownNow();
        }
    }

    private static Map<String, Object> measureUnit(Unit unit, ModelConfig config, LocalExperts local,
            RemoteExperts remote, RemoteExperts routed, int routedK, int tokens, int iterations,
            ExecutorService inFlight) throws Exception {
        int hidden = config.hiddenSize();
        float[] x = hidden(tokens, hidden);
        GateDecision[] toUnit = allTo(tokens, 1);
        GateDecision[] toRouted = allTo(tokens, routedK);
        float[] sharedOut = new float[tokens * hidden];
        float[] remoteOut = new float[tokens * hidden];
        float[] routedOut = new float[tokens * hidden];
        Step inRouter = () -> local.combine(LAYER, x, tokens, toUnit, sharedOut);
        Step remoteCall = () -> remote.combine(LAYER, x, tokens, toUnit, remoteOut);
        Step routedCalls = () -> routed.combine(LAYER, x, tokens, toRouted, routedOut);
        Map<String, Step> variants = new LinkedHashMap<>();
        variants.put("a_in_router_ms", inRouter);
        variants.put("b_remote_round_trip_ms", remoteCall);
        variants.put("routed_calls_alone_ms", routedCalls);
        variants.put("routed_then_a_sequential_ms", () -> {
            routedCalls.run();
            inRouter.run();
        });
        variants.put("a_overlapped_with_routed_ms", () -> overlap(inFlight, routedCalls, inRouter));
        variants.put("b_overlapped_with_routed_ms", () -> overlap(inFlight, routedCalls, remoteCall));
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("unit", unit.name());
        row.put("hidden", hidden);
        row.put("intermediate", config.intermediateSize());
        row.put("tokens_per_step", tokens);
        row.putAll(interleaved(variants, iterations));
        row.put("max_abs_diff_a_vs_b", maxAbsDiff(sharedOut, remoteOut));
        System.out.println(row);
        return row;
    }

    /**
     * The in-router path at one token, {@link #JIT_STEPS} times before anything is measured: the expert
     * services have run thousands of calls by then (their loopback warm-up and earlier rows), and a
     * first run with only {@link #WARMUP} rounds per row measured the one-token FFN in the harness at
     * 3-5x its compiled time (the kernels' one-row loop not yet compiled by C2).
     */
    private static void compileLoneRowPath(LocalExperts local, int hidden) {
        float[] x = hidden(1, hidden);
        float[] out = new float[hidden];
        GateDecision[] route = allTo(1, 1);
        for (int i = 0; i < JIT_STEPS; i++) {
            local.combine(LAYER, x, 1, route, out);
        }
    }

    @FunctionalInterface
    interface Step {
        void run() throws Exception;
    }

    /** {@code routed} on the in-flight thread (as the router's calls are), {@code shared} on this one; both done. */
    private static void overlap(ExecutorService inFlight, Step routed, Step shared) throws Exception {
        Future<?> calls = inFlight.submit(() -> {
            routed.run();
            return null;
        });
        shared.run();
        calls.get();
    }

    /**
     * Milliseconds per step of every variant, after {@link #WARMUP} rounds of each (the first calls run
     * interpreted). The variants take turns, one step each per round in a rotating order, so that load
     * from other processes on a shared machine falls on all of them alike rather than on whichever
     * ran while it lasted.
     */
    private static Map<String, Object> interleaved(Map<String, Step> variants, int iterations) throws Exception {
        List<String> names = List.copyOf(variants.keySet());
        for (int i = 0; i < WARMUP; i++) {
            for (Step step : variants.values()) {
                step.run();
            }
        }
        long[][] nanos = new long[names.size()][iterations];
        for (int i = 0; i < iterations; i++) {
            for (int j = 0; j < names.size(); j++) {
                int v = (i + j) % names.size();
                long t = System.nanoTime();
                variants.get(names.get(v)).run();
                nanos[v][i] = System.nanoTime() - t;
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (int v = 0; v < names.size(); v++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mean", Arrays.stream(nanos[v]).average().orElseThrow() / 1e6);
            m.put("p50", Measurements.quantile(nanos[v], 0.50) / 1e6);
            m.put("p10", Measurements.quantile(nanos[v], 0.10) / 1e6);
            m.put("p90", Measurements.quantile(nanos[v], 0.90) / 1e6);
            out.put(names.get(v), m);
        }
        return out;
    }

    private static RemoteExperts connect(Path model, List<String> targets) {
        ModelConfig config = ModelConfig.load(model);
        return RemoteExperts.connect(targets.stream().map(t -> new ExpertEndpoint(t, t)).toList(),
                e -> Grpc.newChannelBuilder(e.target(), InsecureChannelCredentials.create()).directExecutor()
                        .maxInboundMessageSize(64 << 20).build(),
                config.numLayers(), config.numExperts(), config.hiddenSize(), DispatchProperties.defaults());
    }

    /** Every token to experts 0..k-1 with weight 1/k. */
    private static GateDecision[] allTo(int tokens, int k) {
        int[] experts = new int[k];
        float[] weights = new float[k];
        for (int i = 0; i < k; i++) {
            experts[i] = i;
            weights[i] = 1f / k;
        }
        GateDecision[] routes = new GateDecision[tokens];
        Arrays.fill(routes, new GateDecision(experts, weights));
        return routes;
    }

    private static float[] hidden(int tokens, int hidden) {
        SplittableRandom random = new SplittableRandom(7);
        float[] x = new float[tokens * hidden];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private SharedExpertHarness() {
    }
}
