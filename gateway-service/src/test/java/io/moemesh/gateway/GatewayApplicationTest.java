package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.InvalidRequestException;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.client.UnauthenticatedException;
import io.moemesh.service.GrpcServerLifecycle;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The Spring Boot application over real sockets: gRPC and actuator on random ports, a fake router on
 * another, called with the client SDK. API keys come in through {@code MOEMESH_API_KEYS}, as in a
 * deployment (given here as a property: the placeholder resolves from any property source).
 */
class GatewayApplicationTest {

    private static final String K1 = InProcessGateway.KEY;
    private static final String K2 = InProcessGateway.OTHER_KEY;
    private static final FakeRouter ROUTER = new FakeRouter("tcp");
    private static Server routerServer;
    private static ConfigurableApplicationContext context;
    private static String target;

    @BeforeAll
    static void start() throws Exception {
        routerServer = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(ROUTER).build()
                .start();
        context = SpringApplication.run(GatewayApplication.class, "--moemesh.gateway.grpc-port=0", "--moemesh.gateway.http-port=0",
                "--moemesh.gateway.routers=localhost:" + routerServer.getPort(), "--MOEMESH_API_KEYS=" + K1 + "," + K2,
                "--server.port=0");
        target = "localhost:" + context.getBean(GrpcServerLifecycle.class).port();
    }

    @AfterAll
    static void stop() {
        context.close();
        routerServer.shutdownNow();
    }

    @Test
    void generatesThroughTheGatewayWithTheClientSdk() {
        try (MoeMeshClient client = MoeMeshClient.builder().target(target).apiKey(K2).allowKeyOverPlaintext()
                .defaultDeadline(Duration.ofSeconds(10)).build()) {
            GenerationResult result = client.generate(GenerateOptions.builder().prompt("hello").requestId("tcp-1").build());

            assertThat(result.text()).isEqualTo("t0t1t2");
            assertThat(result.tokenIds()).containsExactly(0, 1, 2);
            assertThat(result.requestId()).isEqualTo("tcp-1");
        }
        assertThat(ROUTER.requests).anySatisfy(request -> assertThat(request.getSampling().getMaxTokens()).isEqualTo(256));
    }

    @Test
    void answersHealthProbesWithoutAnApiKey() {
        io.grpc.ManagedChannel channel = io.grpc.Grpc.newChannelBuilder(target,
                io.grpc.InsecureChannelCredentials.create()).build();
        try {
            var status = io.grpc.health.v1.HealthGrpc.newBlockingStub(channel)
                    .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance()).getStatus();
            assertThat(status).isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void refusesAnUnknownApiKeyWithTypedException() {
        try (MoeMeshClient client = MoeMeshClient.builder().target(target).apiKey("nope").allowKeyOverPlaintext().build()) {
            assertThat(catchThrowableOfType(UnauthenticatedException.class,
                    () -> client.generate(GenerateOptions.ofPrompt("hello"))))
                    .hasMessageContaining("authorization: Bearer <key>");
        }
    }

    @Test
    void refusesAnInvalidRequestWithTypedException() {
        try (MoeMeshClient client = MoeMeshClient.builder().target(target).apiKey(K1).allowKeyOverPlaintext().build()) {
            assertThat(catchThrowableOfType(InvalidRequestException.class,
                    () -> client.generate(GenerateOptions.builder().prompt("hello").topP(2f).build())))
                    .hasMessageContaining("sampling.top_p");
        }
    }

    @Test
    void exposesGatewayMetricsForPrometheus() throws Exception {
        try (MoeMeshClient client = MoeMeshClient.builder().target(target).apiKey(K1).allowKeyOverPlaintext().build()) {
            client.generate(GenerateOptions.ofPrompt("hello"));
        }

        String port = context.getEnvironment().getProperty("local.server.port");
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + port + "/actuator/prometheus")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.body()).contains("moemesh_gateway_requests_total{")
                    .contains("moemesh_gateway_latency_seconds_bucket{")
                    .contains("moemesh_gateway_in_flight");
        }
    }
}
