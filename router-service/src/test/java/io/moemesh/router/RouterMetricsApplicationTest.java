package io.moemesh.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.moemesh.proto.internal.v1.EndpointCalls;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.v1.SamplingParams;
import io.moemesh.router.dispatch.TcpExpertServers;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.testing.PrometheusMetrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The router application's meters on {@code /actuator/prometheus} and its per-endpoint routing
 * statistics, wired as deployed, with two expert endpoints over TCP.
 */
class RouterMetricsApplicationTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");

    private ConfigurableApplicationContext context;
    private TcpExpertServers experts;
    private final List<ManagedChannel> channels = new ArrayList<>();
    /** Headers of the Generate call; a test adds a {@code traceparent} to make it a sampled request. */
    private final Metadata headers = new Metadata();

    @AfterEach
    void stop() {
        channels.forEach(ManagedChannel::shutdownNow);
        if (context != null) {
            context.close();
        }
        if (experts != null) {
            experts.close();
        }
    }

    /** Starts the router over two endpoints, generates 6 tokens, and returns its Prometheus endpoint. */
    private PrometheusMetrics startAndGenerate(String... extraArgs) throws Exception {
        experts = TcpExpertServers.start(MODEL, List.of(List.of(0, 1, 2, 3), List.of(4, 5, 6, 7)));
        List<String> args = new ArrayList<>(List.of("--moemesh.router.model-dir=" + MODEL,
                "--moemesh.router.grpc-port=0", "--moemesh.router.internal-grpc-port=0", "--server.port=0",
                "--moemesh.transport.bind-address=127.0.0.1", "--moemesh.auth.allow-unauthenticated=true",
                "--moemesh.router.experts=" + String.join(",", experts.targets())));
        args.addAll(List.of(extraArgs));
        context = SpringApplication.run(RouterApplication.class, args.toArray(String[]::new));
        var stub = MoeMeshGrpc.newBlockingStub(channel(context.getBean(GrpcServerLifecycle.class).port()))
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        stub.generate(GenerateRequest.newBuilder().setPrompt("The quick brown fox")
                .setSampling(SamplingParams.newBuilder().setMaxTokens(6).setIgnoreEos(true)).build())
                .forEachRemaining(response -> { });
        return PrometheusMetrics.ofService("http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port"));
    }

    private ManagedChannel channel(int port) {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create())
                .build();
        channels.add(channel);
        return channel;
    }

    private RoutingStatsSnapshot routingStats() {
        return RoutingStatsGrpc.newBlockingStub(channel(context.getBean("internalGrpcServer", GrpcServerLifecycle.class)
                .port())).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getRoutingStats(GetRoutingStatsRequest.getDefaultInstance());
    }

    @Test
    void servesTheRouterMetersAndPerEndpointCallsOfARealRequest() throws Exception {
        PrometheusMetrics prometheus = startAndGenerate();

        String scrape = prometheus.scrape();
        RoutingStatsSnapshot stats = routingStats();
        long layer0Tokens = stats.getLayers(0).getTokens();
        assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_unit_tokens_total", "layer=\"0\""))
                .as("top-2: two experts per token").isEqualTo(2.0 * layer0Tokens);
        assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_unit_calls_total", "")).isPositive();
        assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_layer_step_seconds_count", "layer=\"0\""))
                .isEqualTo(stats.getTraffic().getLayerSteps() / 2.0);
        assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_expert_calls_total", "outcome=\"ok\""))
                .isEqualTo(stats.getTraffic().getExpertCalls());
        assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_tokens_generated_total", "")).isEqualTo(6);
        assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_dispatch_bytes_total", "direction=\"sent\""))
                .isEqualTo(stats.getTraffic().getBytesSent());

        assertThat(stats.getScheduler().getGeneratedTokens()).isEqualTo(6);
        assertThat(stats.getScheduler().getDegradedTokens()).isZero();
        assertThat(stats.getEndpointCallsList()).extracting(EndpointCalls::getTarget)
                .containsExactlyElementsOf(experts.targets());
        assertThat(stats.getEndpointCallsList().stream().mapToLong(EndpointCalls::getCalls).sum())
                .isEqualTo(stats.getTraffic().getExpertCalls());
        assertThat(stats.getEndpointCallsList()).allSatisfy(e -> {
            assertThat(e.getFailedCalls()).isZero();
            assertThat(e.getAccepting()).isTrue();
            assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_expert_call_latency_seconds_count",
                    "endpoint=\"" + e.getEndpoint() + "\"")).isEqualTo(e.getCalls());
        });
    }

    @Test
    void perUnitOffPublishesNoPerUnitSeries() throws Exception {
        PrometheusMetrics prometheus = startAndGenerate("--moemesh.router.metrics.per-unit=false");

        String scrape = prometheus.scrape();
        assertThat(scrape).doesNotContain("moemesh_router_unit_");
        assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_layer_step_seconds_count", "")).isPositive();
        assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_tokens_generated_total", "")).isEqualTo(6);
    }

    @Test
    void countsTheStepsOfASampledRequestThatTheStepBudgetLeftUntraced() throws Exception {
        headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER),
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"); // sampled: the router follows it
        PrometheusMetrics prometheus = startAndGenerate("--moemesh.router.traced-steps-per-second=0");

        String scrape = prometheus.scrape();
        assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_trace_steps_skipped_total", ""))
                .as("one step per generated token").isEqualTo(6);
        assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_trace_steps_traced_total", "")).isZero();
        assertThat(scrape).contains("moemesh_router_trace_steps_traced_total");
    }
}
