package io.moemesh.gateway;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.gateway.metrics.GatewayMetrics;
import io.moemesh.gateway.openai.OpenAiHttpServer;
import io.moemesh.gateway.routing.RouterClient;
import io.moemesh.gateway.routing.RouterPool;
import io.moemesh.service.tracing.GrpcTracing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gateway's OpenAI-compatible HTTP API on a real loopback port, in front of one in-process
 * {@link FakeRouter}, wired as the application wires it ({@link GatewayAssembly#publicApi}).
 */
final class HttpGateway implements AutoCloseable {

    static final JsonMapper JSON = JsonMapper.builder().build();

    final FakeRouter router = new FakeRouter("r1");
    private final Server routerServer;
    private final RouterPool pool;
    private final OpenAiHttpServer http;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    HttpGateway(GatewayProperties properties) {
        this(properties, Duration.ofSeconds(60));
    }

    HttpGateway(GatewayProperties properties, Duration writeTimeout) {
        this(properties, writeTimeout, System::nanoTime, GrpcTracing.off());
    }

    /** {@code nanoTime}: the clock of the gateway's limits. */
    HttpGateway(GatewayProperties properties, LongSupplier nanoTime) {
        this(properties, Duration.ofSeconds(60), nanoTime, GrpcTracing.off());
    }

    /** With the server spans the application puts around the public API the HTTP API calls. */
    HttpGateway(GatewayProperties properties, GrpcTracing tracing) {
        this(properties, Duration.ofSeconds(60), System::nanoTime, tracing);
    }

    private HttpGateway(GatewayProperties properties, Duration writeTimeout, LongSupplier nanoTime,
            GrpcTracing tracing) {
        String name = InProcessServerBuilder.generateName();
        try {
            routerServer = InProcessServerBuilder.forName(name).directExecutor().addService(router.recordingHeaders())
                    .build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        pool = new RouterPool(List.of(new RouterClient(name, InProcessChannelBuilder.forName(name).build())));
        GatewayAssembly.PublicApi api = GatewayAssembly.publicApi(properties, pool,
                new GatewayMetrics(new SimpleMeterRegistry()), nanoTime, tracing.tracer());
        http = new OpenAiHttpServer(new OpenAiHttpServer.Settings("127.0.0.1", 0, Duration.ofSeconds(1), writeTimeout, null),
                ServerInterceptors.intercept(api.service(), tracing.serverSpans()), api::mayBeAdmitted);
        http.start();
    }

    HttpGateway() {
        this(new TestProperties().build());
    }

    /** Stops the HTTP API as the gateway's shutdown does (drains, then cancels); blocks until done. */
    void stopHttp() {
        http.stop();
    }

    int port() {
        return http.port();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    HttpResponse<String> post(String path, String body) {
        return post(path, body, InProcessGateway.KEY);
    }

    HttpResponse<String> post(String path, String body, String key) {
        return send(request(path, key).POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** With {@link InProcessGateway#KEY} and these headers besides. */
    HttpResponse<String> postWithHeaders(String path, String body, Map<String, String> headers) {
        return postWithHeaderLines(path, body, List.copyOf(headers.entrySet()));
    }

    /** As above, a header line each, so a header may come on several lines. */
    HttpResponse<String> postWithHeaderLines(String path, String body, List<Map.Entry<String, String>> headers) {
        HttpRequest.Builder request = request(path, InProcessGateway.KEY);
        headers.forEach(header -> request.header(header.getKey(), header.getValue()));
        return send(request.POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** Sends without waiting for the answer (a call a test leaves running); the gateway's close ends it. */
    void postAsync(String path, String body) {
        client.sendAsync(request(path, InProcessGateway.KEY).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.discarding());
    }

    HttpResponse<String> get(String path, String key) {
        return send(request(path, key).GET().build());
    }

    /** A streaming call's response, its body as lines as they arrive. */
    HttpResponse<Stream<String>> stream(String path, String body) {
        try {
            return client.send(request(path, InProcessGateway.KEY).POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(), HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(HttpResponse<String> response) {
        return JSON.readTree(response.body());
    }

    /** The JSON of each {@code data:} event of an event stream, {@code [DONE]} left as text. */
    static List<String> events(HttpResponse<Stream<String>> response) {
        return response.body().filter(line -> line.startsWith("data: ")).map(line -> line.substring(6)).toList();
    }

    private HttpRequest.Builder request(String path, String key) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json");
        return key == null ? request : request.header("Authorization", "Bearer " + key);
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        http.stop();
        pool.close();
        routerServer.shutdownNow();
    }
}
