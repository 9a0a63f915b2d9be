package io.moemesh.gateway.openai;

import io.grpc.ServerServiceDefinition;
import io.moemesh.gateway.openai.CompletionsHandler.EventStream;
import io.moemesh.gateway.openai.CompletionsHandler.JsonReply;
import io.moemesh.gateway.openai.GatewayLoopback.HttpCaller;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.WriteTimeoutHandler;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The OpenAI-compatible HTTP API (docs/openai-api.md) on its own port beside the gateway's gRPC
 * port: {@code GET /v1/models}, {@code POST /v1/completions}, {@code POST /v1/chat/completions}.
 * Every call goes through the gateway's own gRPC service ({@link GatewayLoopback}), so HTTP and
 * gRPC callers share one set of keys, limits and checks, and an HTTP caller's W3C trace context
 * is continued as a gRPC caller's is. Runs on Reactor Netty, which cancels a
 * response whose client has closed its connection — streaming or not — and so the generation.
 *
 * <p>Stopping refuses new requests with 503, lets those in flight finish for up to the drain
 * timeout, then cancels the rest.
 */
public final class OpenAiHttpServer {

    private static final Logger LOG = LoggerFactory.getLogger(OpenAiHttpServer.class);
    /** A request body: a 32 KiB prompt, or a conversation of several, with room to spare (as gRPC's limit). */
    static final int MAX_BODY_BYTES = 1 << 20;
    private static final Set<String> PATHS = Set.of("/v1/models", "/v1/completions", "/v1/chat/completions");

    /**
     * Where and how to serve.
     *
     * @param host         address to bind (the gateway's {@code moemesh.transport.bind-address}); null = every interface
     * @param port         0 picks a free port
     * @param drainTimeout how long stopping waits for requests in flight
     * @param writeTimeout how long one write may wait for a client that does not read before the
     *                     connection is closed (which cancels its generation)
     * @param tls          the server's TLS context (the gateway's certificate), or null for plaintext
     */
    public record Settings(String host, int port, Duration drainTimeout, Duration writeTimeout, SslContext tls) {

        /** The gateway's: a client may stall its reading for {@link #WRITE_TIMEOUT}. */
        public Settings(String host, int port, Duration drainTimeout, SslContext tls) {
            this(host, port, drainTimeout, WRITE_TIMEOUT, tls);
        }
    }

    /** A client that reads nothing for this long while a response waits for it is gone. */
    static final Duration WRITE_TIMEOUT = Duration.ofSeconds(60);

    private final Settings settings;
    private final ServerServiceDefinition publicApi;
    private final Predicate<String> mayBeAdmitted;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean stopping;
    private GatewayLoopback gateway;
    private CompletionsHandler completions;
    private ModelCatalog models;
    private DisposableServer server;

    /**
     * @param mayBeAdmitted whether an {@code Authorization} header (may be null) holds a key in use, or
     *                      no key is needed: a request without one is refused by the gateway before
     *                      its body is parsed or a chat template rendered for it
     */
    public OpenAiHttpServer(Settings settings, ServerServiceDefinition publicApi, Predicate<String> mayBeAdmitted) {
        this.settings = settings;
        this.publicApi = publicApi;
        this.mayBeAdmitted = mayBeAdmitted;
    }

    public synchronized void start() {
        gateway = new GatewayLoopback(publicApi);
        models = new ModelCatalog(gateway, System::nanoTime);
        completions = new CompletionsHandler(gateway, models);
        HttpServer http = HttpServer.create().port(settings.port())
                .idleTimeout(Duration.ofSeconds(75))
                .readTimeout(Duration.ofSeconds(30))
                .requestTimeout(Duration.ofSeconds(60))
                // a never-reading client: its pending write fails and the connection closes
                .doOnConnection(connection -> connection.addHandlerFirst(new WriteTimeoutHandler(
                        settings.writeTimeout().toMillis(), TimeUnit.MILLISECONDS)))
                .route(routes -> routes
                        .get("/v1/models", (req, res) -> serve(req, res, this::listModels))
                        .post("/v1/completions", (req, res) -> serve(req, res, r -> completions(r, false)))
                        .post("/v1/chat/completions", (req, res) -> serve(req, res, r -> completions(r, true)))
                        .route(req -> true, this::unknownRoute));
        if (settings.host() != null && !settings.host().isBlank()) {
            http = http.host(settings.host());
        }
        if (settings.tls() != null) {
            http = http.secure(spec -> spec.sslContext(settings.tls()));
        }
        try {
            server = http.bindNow(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            gateway.close();
            throw new IllegalStateException("the OpenAI-compatible HTTP API cannot listen on " + settings.host() + ":"
                    + settings.port() + " (moemesh.gateway.http-port): " + e.getMessage(), e);
        }
        LOG.info("OpenAI-compatible HTTP API listening on {}:{}{}", settings.host() == null ? "*" : settings.host(),
                server.port(), settings.tls() == null ? "" : " (TLS)");
    }

    /** The bound port; -1 before start. */
    public int port() {
        DisposableServer running = server;
        return running == null ? -1 : running.port();
    }

    public synchronized void stop() {
        if (server == null || stopping) {
            return;
        }
        stopping = true;
        server.disposeNow(Duration.ofSeconds(5)); // no new connections
        long deadline = System.nanoTime() + settings.drainTimeout().toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (inFlight.get() > 0) {
            LOG.warn("OpenAI-compatible HTTP API: {} requests still running after the drain timeout {}; cancelling them",
                    inFlight.get(), settings.drainTimeout());
        }
        gateway.close();
        LOG.info("OpenAI-compatible HTTP API stopped");
    }

    /** W3C allows {@code tracestate} over several header lines, to be read as one list joined by commas. */
    private static String traceState(HttpServerRequest request) {
        List<String> lines = request.requestHeaders().getAll(GatewayLoopback.TRACESTATE.name());
        return lines.isEmpty() ? null : String.join(",", lines);
    }

    private Publisher<Void> serve(HttpServerRequest request, HttpServerResponse response,
            Function<Call, Mono<CompletionsHandler.Reply>> handler) {
        if (stopping) {
            return send(response, error(new OpenAiError(503, "server_error", null, "service_unavailable",
                    "the gateway is shutting down; retry on another replica")));
        }
        String authorization = request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
        HttpCaller caller = new HttpCaller(authorization, request.remoteAddress(),
                request.requestHeaders().get(GatewayLoopback.TRACEPARENT.name()),
                traceState(request));
        return Mono.defer(() -> {
            inFlight.incrementAndGet();
            // without a usable key the gateway refuses the call, counted and throttled as on gRPC,
            // before any work is done for it; with one, parsing and rendering leave the event loop
            Mono<Void> admitted = mayBeAdmitted.test(authorization) ? Mono.empty()
                    : gateway.listModels(caller).then();
            return admitted.then(body(request))
                    .publishOn(Schedulers.boundedElastic())
                    .flatMap(body -> handler.apply(new Call(body, caller)))
                    .onErrorResume(e -> Mono.just(CompletionsHandler.failure(e, UUID.randomUUID().toString())))
                    .flatMap(reply -> Mono.from(send(response, reply)))
                    .doFinally(signal -> inFlight.decrementAndGet());
        });
    }

    /** A request's body (empty for GET) and who sent it. */
    private record Call(byte[] body, HttpCaller caller) {
    }

    private Mono<CompletionsHandler.Reply> listModels(Call call) {
        return models.list(call.caller())
                .map(list -> (CompletionsHandler.Reply) new JsonReply(200, OpenAiResponses.models(
                        list.stream().map(ModelCatalog.Model::info).toList(), System.currentTimeMillis() / 1000)));
    }

    private Mono<CompletionsHandler.Reply> completions(Call call, boolean chat) {
        JsonNode json;
        try {
            json = OpenAiResponses.JSON.readTree(call.body());
        } catch (JacksonException e) {
            return Mono.error(OpenAiError.invalid(null, "the request body is not valid JSON: "
                    + e.getOriginalMessage()));
        }
        CompletionRequest request = chat ? OpenAiRequests.chat(json) : OpenAiRequests.completion(json);
        return completions.handle(request, call.caller());
    }

    /** The body, refused with 413 past {@link #MAX_BODY_BYTES}. */
    private static Mono<byte[]> body(HttpServerRequest request) {
        if (request.method().equals(HttpMethod.GET)) {
            return Mono.just(new byte[0]);
        }
        String length = request.requestHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
        if (length != null && length.chars().allMatch(Character::isDigit) && length.length() < 12
                && Long.parseLong(length) > MAX_BODY_BYTES) {
            return Mono.error(tooLarge());
        }
        return request.receive().asByteArray()
                .reduceWith(ByteArrayOutputStream::new, (out, bytes) -> {
                    if (out.size() + bytes.length > MAX_BODY_BYTES) {
                        throw tooLarge();
                    }
                    out.writeBytes(bytes);
                    return out;
                })
                .map(ByteArrayOutputStream::toByteArray)
                .defaultIfEmpty(new byte[0]);
    }

    private static OpenAiError tooLarge() {
        return new OpenAiError(413, "invalid_request_error", null, "request_too_large",
                "the request body is larger than " + MAX_BODY_BYTES + " bytes");
    }

    private Publisher<Void> unknownRoute(HttpServerRequest request, HttpServerResponse response) {
        String path = request.fullPath();
        if (PATHS.contains(path)) {
            response.header(HttpHeaderNames.ALLOW, path.equals("/v1/models") ? "GET" : "POST");
        }
        OpenAiError error = PATHS.contains(path)
                ? new OpenAiError(405, "invalid_request_error", null, "method_not_allowed",
                        request.method() + " is not allowed on " + path)
                : new OpenAiError(404, "invalid_request_error", null, "unknown_url", "Unknown request URL: "
                        + request.method() + " " + path + "; moe-mesh serves " + String.join(", ", PATHS.stream().sorted().toList()));
        return send(response, error(error));
    }

    private static JsonReply error(OpenAiError e) {
        return new JsonReply(e.status(), OpenAiResponses.error(e), e.headers());
    }

    private static Publisher<Void> send(HttpServerResponse response, CompletionsHandler.Reply reply) {
        return switch (reply) {
            case JsonReply json -> {
                json.headers().forEach(response::header);
                yield response.status(json.status())
                        .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                        .sendString(Mono.just(OpenAiResponses.JSON.writeValueAsString(json.body()) + "\n"));
            }
            // the status waits for the first event: a failure before it is answered with its own status
            case EventStream stream -> stream.events().switchOnFirst((first, events) -> first.isOnError()
                    ? send(response, CompletionsHandler.failure(first.getThrowable(), UUID.randomUUID().toString()))
                    : response.status(200)
                            .header(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                            .header(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                            .sendString(events)).then();
        };
    }
}
