package io.moemesh.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.proto.codec.RoutingStatsCodec;
import io.moemesh.proto.internal.v1.EndpointCalls;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import io.moemesh.proto.internal.v1.SchedulerTiming;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The dashboard over real HTTP, fed over real gRPC by a router double on a TCP port: its JSON, its
 * page and assets (self-contained: no absolute URL), and the controller's meters on /actuator/prometheus.
 */
class DashboardHttpTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final AtomicLong GENERATED = new AtomicLong();
    private static Server router;
    private static ConfigurableApplicationContext context;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        router = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(new RoutingStatsGrpc.RoutingStatsImplBase() {
                    @Override
                    public void getRoutingStats(GetRoutingStatsRequest request, StreamObserver<RoutingStatsSnapshot> out) {
                        out.onNext(snapshot(GENERATED.addAndGet(10)));
                        out.onCompleted();
                    }
                }).build().start();
        context = SpringApplication.run(PlacementControllerApplication.class,
                "--moemesh.controller.routers=127.0.0.1:" + router.getPort(), "--moemesh.controller.grpc-port=0",
                "--moemesh.controller.initial-delay=0s", "--moemesh.controller.interval=1h", "--server.port=0",
                "--moemesh.transport.bind-address=127.0.0.1", "--moemesh.auth.allow-unauthenticated=true",
                "--moemesh.controller.dashboard.refresh=100ms");
        base = "http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port");
    }

    @AfterAll
    static void stop() throws Exception {
        if (context != null) {
            context.close();
        }
        router.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Layer 1 of 2, expert 2 of 3 is hot; tokens generated grow by 10 per read. */
    private static RoutingStatsSnapshot snapshot(long generated) {
        RoutingStats stats = RoutingStats.empty(2, 3, Instant.ofEpochMilli(1_000), Instant.ofEpochMilli(61_000));
        stats.tokens()[0] = 4;
        stats.expertTokens()[0][0] = 3;
        stats.expertTokens()[0][1] = 5;
        stats.tokens()[1] = 7;
        stats.expertTokens()[1][2] = 7;
        stats.expertTokens()[1][0] = 7;
        stats.coactivation()[1][2] = 7;
        stats.coactivation()[1][6] = 7;
        return RoutingStatsCodec.encode(stats).toBuilder()
                .setScheduler(SchedulerTiming.newBuilder().setTokens(generated).setGeneratedTokens(generated))
                .addEndpointCalls(EndpointCalls.newBuilder().setEndpoint("expert-0").setTarget("10.0.0.7:50051")
                        .setCalls(generated).setAccepting(true).addLatencyMicrosBounds(1_000)
                        .addLatencyMicrosCounts(generated).addLatencyMicrosCounts(0))
                .build();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode state() throws Exception {
        HttpResponse<String> response = get("/dashboard/api/state");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("application/json"));
        return JsonMapper.builder().build().readTree(response.body());
    }

    @Test
    void theStateIsTheRoutersWindowAndRatesAsJson() throws Exception {
        await().atMost(Duration.ofSeconds(20)).until(() -> !state().path("summary").path("tokensPerSecond").isNull());

        JsonNode state = state();
        assertThat(state.path("state").asString()).isEqualTo("live");
        assertThat(state.path("updated").asLong()).isPositive();
        assertThat(state.path("refreshMillis").asLong()).isEqualTo(100);
        assertThat(state.path("model").path("layers").asInt()).isEqualTo(2);
        assertThat(state.path("layers").get(1).path("experts").toString()).isEqualTo("[7,0,7]");
        assertThat(state.path("layers").get(1).path("coactivation").toString()).isEqualTo("[0,0,7,0,0,0,7,0,0]");
        assertThat(state.path("summary").path("tokensPerSecond").asDouble()).isPositive();
        assertThat(state.path("endpoints").get(0).path("endpoint").asString()).isEqualTo("expert-0");
        assertThat(state.path("endpoints").get(0).path("p50Millis").asDouble()).isEqualTo(0.5);
        assertThat(state.path("routers").get(0).path("ok").asBoolean()).isTrue();
        assertThat(context.getBean("dashboardFeedHealthIndicator", HealthIndicator.class).health().getStatus())
                .isEqualTo(Status.UP);
    }

    @Test
    void dashboardServesThePageWithItsOwnAssetsOnly() throws Exception {
        HttpResponse<String> withoutSlash = get("/dashboard");
        assertThat(withoutSlash.statusCode()).isEqualTo(200);
        assertThat(withoutSlash.body()).as("its relative links resolve under /dashboard/")
                .contains("<base href=\"dashboard/\">");

        HttpResponse<String> page = get("/dashboard/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        assertThat(page.body()).doesNotContain("<base");
        assertThat(page.body()).contains("<main id=\"dashboard\" data-state=\"empty\" data-updated=\"0\">",
                "id=\"tokens-per-second\"", "id=\"degraded-rate\"", "id=\"coactivation\"", "id=\"services\"",
                "id=\"endpoints\"", "src=\"dashboard.js\"", "href=\"dashboard.css\"");
        Pattern absolute = Pattern.compile("https?:|//[a-zA-Z0-9.-]+[.:/]|@import|url\\(");
        for (String path : new String[] {"/dashboard", "/dashboard/", "/dashboard/dashboard.js",
            "/dashboard/dashboard.css"}) {
            HttpResponse<String> asset = get(path);
            assertThat(asset.statusCode()).as(path).isEqualTo(200);
            assertThat(asset.body()).as(path).isNotBlank();
            assertThat(absolute.matcher(asset.body()).find()).as("%s refers to an absolute URL", path).isFalse();
        }
        assertThat(get("/dashboard/dashboard.js").headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/javascript"));
        assertThat(get("/dashboard/dashboard.js").body()).doesNotContain("eval(", "innerHTML", "new Function");
    }

    @Test
    void theControllersMetersArePublishedAfterARound() throws Exception {
        await().atMost(Duration.ofSeconds(20)).until(() -> get("/actuator/prometheus").body()
                .matches("(?s).*moemesh_placement_rounds_total\\{decision=\"failed\"[^}]*} 1\\.0.*"));

        String metrics = get("/actuator/prometheus").body();
        assertThat(metrics).contains("moemesh_placement_rounds_total{decision=\"applied\"",
                "moemesh_placement_plans_applied_total", "moemesh_placement_calls_per_token{",
                "plan=\"observed\"", "moemesh_placement_max_mean_load");
        // the round failed because the double serves no endpoint list; the dashboard still shows its decision
        assertThat(state().path("placement").path("decision").asString()).startsWith("could not read the routers");
    }
}
