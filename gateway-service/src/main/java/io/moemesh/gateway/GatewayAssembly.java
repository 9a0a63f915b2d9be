package io.moemesh.gateway;

import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.moemesh.gateway.access.ApiKeyInterceptor;
import io.moemesh.gateway.access.ApiKeys;
import io.moemesh.gateway.access.CallerRateLimits;
import io.moemesh.gateway.access.RateLimitInterceptor;
import io.moemesh.gateway.generate.CallDeadlines;
import io.moemesh.proto.validation.GenerateRequestValidator;
import io.moemesh.gateway.generate.GenerateUseCase;
import io.moemesh.gateway.generate.ListModelsUseCase;
import io.moemesh.gateway.grpc.GatewayGrpcService;
import io.grpc.protobuf.services.HealthStatusManager;
import io.moemesh.service.GrpcServerLifecycle;
import java.util.List;
import io.moemesh.gateway.metrics.GatewayMetrics;
import io.moemesh.gateway.metrics.MetricsInterceptor;
import io.moemesh.gateway.routing.RouterForwarder;
import io.moemesh.gateway.routing.RouterPool;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the gateway from its properties, in one place for the application and for in-process tests:
 * metrics (outermost, so refused calls count) → API key → rate limit → {@link GatewayGrpcService}.
 */
public final class GatewayAssembly {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayAssembly.class);

    private GatewayAssembly() {
    }

    public static GrpcServerLifecycle server(ServerBuilder<?> builder, GatewayProperties properties, RouterPool routers,
            GatewayMetrics metrics) {
        return new GrpcServerLifecycle("gateway", builder, List.of(service(properties, routers, metrics)),
                new HealthStatusManager(), properties.drainTimeout(), new GrpcServerLifecycle.Hooks() { });
    }

    static ServerServiceDefinition service(GatewayProperties properties, RouterPool routers, GatewayMetrics metrics) {
        routers.routers().forEach(metrics::watch);
        RouterForwarder forwarder = new RouterForwarder(routers, metrics);
        CallDeadlines deadlines = new CallDeadlines(properties.defaultDeadline());
        GenerateRequestValidator validator =
                new GenerateRequestValidator(properties.requestLimits(), () -> UUID.randomUUID().toString());
        GatewayGrpcService service = new GatewayGrpcService(new GenerateUseCase(validator, deadlines, forwarder),
                new ListModelsUseCase(deadlines, forwarder));

        ApiKeys keys = new ApiKeys(properties.apiKeys());
        if (!keys.enabled()) {
            LOG.warn("authentication is OFF: moemesh.gateway.api-keys (env MOEMESH_API_KEYS) is empty, so anyone who "
                    + "reaches port {} can generate; all callers share one rate limit", properties.grpcPort());
        }
        CallerRateLimits rateLimits = new CallerRateLimits(properties.rateLimit().limitForPeriod(),
                properties.rateLimit().limitRefreshPeriod());
        // The last interceptor given runs first.
        return ServerInterceptors.intercept(service.bindService(), new RateLimitInterceptor(rateLimits),
                new ApiKeyInterceptor(keys), new MetricsInterceptor(metrics));
    }
}
