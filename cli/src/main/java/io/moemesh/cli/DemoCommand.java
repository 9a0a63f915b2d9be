package io.moemesh.cli;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.moemesh.cli.local.ClusterState;
import io.moemesh.cli.local.LocalCluster;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.LayerRoutingStats;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moe demo}: up, a few prompts in several languages, what the router saw, down. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start the local cluster, run a few prompts through the gateway, print a routing summary, stop.")
final class DemoCommand implements Callable<Integer> {

    static final List<String> PROMPTS = List.of("The meaning of life is ", "Der Mensch ist ", "El amor es ",
            "La vita è ", "Жизнь — это ", "Życie jest ");

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model directory to serve.")
    Path model;

    @Option(names = "--prompt", description = "Prompts to run (default: six languages).")
    List<String> prompts;

    @Option(names = "--max-tokens", defaultValue = "48", description = "Tokens per prompt (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--gateway-port", defaultValue = "50051")
    int gatewayPort;

    @Option(names = "--router-port", defaultValue = "50052")
    int routerPort;

    @Option(names = "--router-internal-port", defaultValue = "50056")
    int routerInternalPort;

    @Option(names = "--expert-port", defaultValue = "50060")
    int firstExpertPort;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path stateDir = Files.createTempDirectory("moe-demo");
        LocalCluster cluster = new LocalCluster(MoeCommand.home(), stateDir);
        long start = System.nanoTime();
        ClusterState state = cluster.up(model, new LocalCluster.Layout(gatewayPort,
                LocalCluster.RouterPorts.grpcOnly(routerPort, routerInternalPort), firstExpertPort, 1,
                Duration.ofMinutes(3)));
        try {
            out.printf("up in %.1f s: gateway %s, router %s, %d expert processes (logs in %s)%n%n",
                    (System.nanoTime() - start) / 1e9, state.gateway(), state.router(), state.processes().size() - 2,
                    stateDir.resolve("logs"));
            generate(state, out);
            printRoutingSummary(state.routerInternal(), out);
        } finally {
            cluster.down(Duration.ofSeconds(30));
            out.println("stopped.");
        }
        out.println(dashboardHint(model));
        return 0;
    }

    /**
     * The demo stops its cluster and starts no placement controller, which serves the dashboard: how to
     * see the same statistics live instead.
     */
    static String dashboardHint(Path model) {
        return "to watch expert load and co-activation live: moe up --model " + model + ", send prompts (moe generate"
                + " or the OpenAI-compatible API), and open the dashboard at http://127.0.0.1:"
                + UpCommand.DEFAULT_CONTROLLER_HTTP_PORT + "/dashboard (moe up prints it; moe down stops the cluster)";
    }

    private void generate(ClusterState cluster, PrintWriter out) {
        try (MoeMeshClient client = RemoteGeneration.connect(cluster)) {
            for (String prompt : prompts != null ? prompts : PROMPTS) {
                out.print("> " + prompt);
                GenerationResult r = RemoteGeneration.stream(client,
                        GenerateOptions.builder().prompt(prompt).maxTokens(maxTokens).temperature(0.7f).topP(0.95f)
                                .seed(7).stop("\n\n").build(), out);
                out.printf("%n  [%d tokens, first after %d ms, %.1f tokens/s%s]%n%n", r.tokenIds().size(),
                        r.usage().timeToFirstToken().toMillis(),
                        r.tokenIds().size() / Math.max(1e-9, r.usage().totalTime().toNanos() / 1e9),
                        r.degraded() ? ", degraded" : "");
            }
        }
    }

    /**
     * Per layer: the busiest experts and the pairs most often chosen together (what placement co-locates);
     * then what crossing the network cost per token per layer, which co-locating those pairs lowers.
     */
    /** @param router the router's internal port ({@code host:port}), where RoutingStats is served */
    static void printRoutingSummary(String router, PrintWriter out) {
        ManagedChannel channel = Grpc.newChannelBuilder(router, InsecureChannelCredentials.create()).build();
        try {
            RoutingStatsSnapshot s = RoutingStatsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getRoutingStats(GetRoutingStatsRequest.getDefaultInstance());
            out.println("routing summary (tokens per layer; busiest experts; most co-activated pairs):");
            for (LayerRoutingStats layer : s.getLayersList()) {
                out.printf("  layer %d: %d tokens; busiest %s; pairs %s%n", layer.getLayer(), layer.getTokens(),
                        busiest(layer), topPairs(layer, s.getNumExperts()));
            }
            DispatchTraffic t = s.getTraffic();
            if (t.getTokenLayers() > 0) { // zero when the router runs its experts in process
                out.printf("  expert traffic since the router started: %.2f remote calls and %.0f bytes per token"
                        + " per layer%n", (double) t.getTokenSends() / t.getTokenLayers(),
                        (double) (t.getBytesSent() + t.getBytesReceived()) / t.getTokenLayers());
            }
        } finally {
            channel.shutdownNow();
        }
    }

    private static String busiest(LayerRoutingStats layer) {
        long total = layer.getTokensPerExpertList().stream().mapToLong(Long::longValue).sum();
        List<Integer> experts = new ArrayList<>();
        for (int e = 0; e < layer.getTokensPerExpertCount(); e++) {
            experts.add(e);
        }
        experts.sort((a, b) -> Long.compare(layer.getTokensPerExpert(b), layer.getTokensPerExpert(a)));
        StringBuilder sb = new StringBuilder();
        for (int e : experts.subList(0, Math.min(3, experts.size()))) {
            sb.append(sb.isEmpty() ? "" : ", ").append(e)
                    .append(String.format(" (%.0f%%)", 100.0 * layer.getTokensPerExpert(e) / Math.max(1, total)));
        }
        return sb.toString();
    }

    private static String topPairs(LayerRoutingStats layer, int n) {
        List<long[]> pairs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                pairs.add(new long[] {i, j, layer.getCoactivation(i * n + j)});
            }
        }
        pairs.sort((a, b) -> Long.compare(b[2], a[2]));
        StringBuilder sb = new StringBuilder();
        for (long[] p : pairs.subList(0, Math.min(3, pairs.size()))) {
            sb.append(sb.isEmpty() ? "" : ", ").append(p[0]).append('+').append(p[1]).append(" (").append(p[2]).append(')');
        }
        return sb.toString();
    }
}
