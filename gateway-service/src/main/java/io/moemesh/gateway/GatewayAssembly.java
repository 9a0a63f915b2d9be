package io.moemesh.gateway;

import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.micrometer.tracing.Tracer;
import io.grpc.protobuf.services.HealthStatusManager;
import io.moemesh.gateway.access.ApiKeyAuthenticator;
import io.moemesh.gateway.access.ApiKeys;
import io.moemesh.gateway.access.ApiKeyStore;
import io.moemesh.gateway.access.AuthFailureThrottle;
import io.moemesh.gateway.access.CallerLimiters;
import io.moemesh.gateway.access.ConcurrencyLimitInterceptor;
import io.moemesh.gateway.access.RateLimitInterceptor;
import io.moemesh.gateway.generate.CallDeadlines;
import io.moemesh.gateway.generate.GenerateUseCase;
import io.moemesh.gateway.generate.ListModelsUseCase;
import io.moemesh.gateway.grpc.GatewayGrpcService;
import io.moemesh.gateway.grpc.OversizedMessageLog;
import io.moemesh.gateway.metrics.GatewayMetrics;
import io.moemesh.gateway.metrics.MetricsInterceptor;
import io.moemesh.gateway.openai.OpenAiHttpServer;
import io.moemesh.gateway.routing.RouterForwarder;
import io.moemesh.gateway.routing.RouterPool;
import io.moemesh.proto.validation.GenerateRequestValidator;
import io.moemesh.service.GrpcServerLifecycle;
import java.util.List;
import java.util.UUID;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the gateway from its properties, in one place for the application and for in-process tests:
 * metrics (outermost, so refused calls count) → API key (with the failed-authentication throttle) →
 * request rate → concurrency cap → {@link GatewayGrpcService} (validation, token budget, forwarding).
 * The OpenAI-compatible HTTP API calls this same intercepted service in process.
 */
public final class GatewayAssembly {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayAssembly.class);

    private GatewayAssembly() {
    }

    /** The gateway's public API, intercepted (see above), and the API keys it checks. */
    public record PublicApi(ServerServiceDefinition service, ApiKeyStore keys) {

        /**
         * Whether a call with this {@code authorization} header (may be null) could pass the key
         * check: no keys are in use, or it holds one. The check itself stays the interceptor's.
         */
        public boolean mayBeAdmitted(String authorization) {
            ApiKeys current = keys.current();
            return !current.enabled() || current.authenticate(authorization).isPresent();
        }
    }

    /** The gateway's gRPC server alone (in-process tests); the application adds the HTTP API. */
    public static GrpcServerLifecycle server(ServerBuilder<?> builder, GatewayProperties properties, RouterPool routers,
            GatewayMetrics metrics) {
        return server(builder, properties, routers, metrics, System::nanoTime);
    }

    /** As above, with the clock of every limit and window ({@code System::nanoTime} outside tests). */
    public static GrpcServerLifecycle server(ServerBuilder<?> builder, GatewayProperties properties, RouterPool routers,
            GatewayMetrics metrics, LongSupplier nanoTime) {
        return server(builder, properties, publicApi(properties, routers, metrics, nanoTime), null);
    }

    /**
     * Throws {@link IllegalStateException}, stopping start-up, when the API keys cannot be read or
     * there are none without {@code allow-unauthenticated}.
     */
    public static PublicApi publicApi(GatewayProperties properties, RouterPool routers, GatewayMetrics metrics,
            LongSupplier nanoTime) {
        return publicApi(properties, routers, metrics, nanoTime, Tracer.NOOP);
    }

    /** As above; {@code tracer} keeps a failover's router call in the caller's trace. */
    public static PublicApi publicApi(GatewayProperties properties, RouterPool routers, GatewayMetrics metrics,
            LongSupplier nanoTime, Tracer tracer) {
        ApiKeyStore keys = ApiKeyStore.load(properties.apiKeys(), properties.apiKeysFile(),
                properties.allowUnauthenticated());
        metrics.watch(keys);
        if (!keys.current().enabled()) {
            LOG.warn("authentication is OFF (moemesh.gateway.allow-unauthenticated=true and no API keys): anyone who "
                    + "reaches port {} can generate; limits apply per peer address{}", properties.grpcPort(),
                    properties.apiKeysFile() == null ? "" : "; keys added to " + properties.apiKeysFile()
                            + " turn authentication on");
        } else {
            LOG.info("API keys in use: {} (fingerprints){}", keys.current().fingerprints(),
                    properties.apiKeysFile() == null ? "" : "; reloading " + properties.apiKeysFile() + " every "
                            + properties.apiKeysReloadInterval());
        }
        return new PublicApi(service(properties, routers, metrics, keys, nanoTime, tracer), keys);
    }

    /**
     * The gateway's gRPC server for {@code api}, and with it {@code http} (may be null): the
     * OpenAI-compatible API starts after the gRPC server and drains first when it stops, while the
     * gRPC service it calls still runs. Oversized request messages are logged without stack traces,
     * at most once a minute ({@link OversizedMessageLog}).
     */
    public static GrpcServerLifecycle server(ServerBuilder<?> builder, GatewayProperties properties, PublicApi api,
            OpenAiHttpServer http) {
        OversizedMessageLog.install(System::nanoTime);
        return new GrpcServerLifecycle("gateway", builder, List.of(api.service()), new HealthStatusManager(),
                properties.drainTimeout(), new GrpcServerLifecycle.Hooks() {
                    @Override
                    public void beforeStart() {
                        api.keys().startPolling(properties.apiKeysReloadInterval());
                    }

                    /** Once gRPC is up: a gRPC port that cannot be bound leaves no HTTP port behind. */
                    @Override
                    public void started(int port) {
                        if (http != null) {
                            http.start();
                        }
                    }

                    @Override
                    public void draining() {
                        if (http != null) {
                            http.stop();
                        }
                        api.keys().close();
                    }
                });
    }

    private static ServerServiceDefinition service(GatewayProperties properties, RouterPool routers,
            GatewayMetrics metrics, ApiKeyStore keys, LongSupplier nanoTime, Tracer tracer) {
        routers.routers().forEach(metrics::watch);
        RouterForwarder forwarder = new RouterForwarder(routers, metrics, tracer);
        CallDeadlines deadlines = new CallDeadlines(properties.defaultDeadline());
        GenerateRequestValidator validator =
                new GenerateRequestValidator(properties.requestLimits(), () -> UUID.randomUUID().toString());
        CallerLimiters limiters = new CallerLimiters(properties.callerQuotas(), nanoTime);
        GatewayGrpcService grpc = new GatewayGrpcService(new GenerateUseCase(validator, deadlines, limiters, forwarder),
                new ListModelsUseCase(deadlines, forwarder));

        GatewayProperties.AuthFailures failures = properties.authFailures();
        AuthFailureThrottle throttle = new AuthFailureThrottle(failures.maxPerWindow(), failures.window(),
                failures.maxTrackedPeers(), nanoTime);
        // The last interceptor given runs first.
        return ServerInterceptors.intercept(grpc.bindService(), new ConcurrencyLimitInterceptor(limiters),
                new RateLimitInterceptor(limiters), new ApiKeyAuthenticator(keys, throttle, metrics, nanoTime),
                new MetricsInterceptor(metrics));
    }
}
