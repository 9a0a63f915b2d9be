package io.moemesh.gateway.metrics;

import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.moemesh.gateway.access.ApiKeyAuthenticator;
import io.moemesh.gateway.access.ApiKeyStore;
import io.moemesh.gateway.routing.RouterClient;
import io.moemesh.gateway.routing.RouterForwarder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's meters (Prometheus names in brackets):
 * <ul>
 *   <li>{@code moemesh.gateway.requests} [moemesh_gateway_requests_total] by method: calls received;</li>
 *   <li>{@code moemesh.gateway.errors} [moemesh_gateway_errors_total] by method and gRPC code;</li>
 *   <li>{@code moemesh.gateway.in.flight} [moemesh_gateway_in_flight]: calls not yet finished;</li>
 *   <li>{@code moemesh.gateway.latency} [moemesh_gateway_latency_seconds] by method and code: call
 *       duration, for a generation the whole stream;</li>
 *   <li>{@code moemesh.gateway.router.failovers} [moemesh_gateway_router_failovers_total] by router
 *       that failed;</li>
 *   <li>{@code moemesh.gateway.router.in.flight} [moemesh_gateway_router_in_flight] by router;</li>
 *   <li>{@code moemesh.gateway.auth.failures} [moemesh_gateway_auth_failures_total] by outcome:
 *       {@code rejected} (missing or unknown key) or {@code throttled} (refused for earlier failures);</li>
 *   <li>with an API key file only: {@code moemesh.gateway.api.keys.reload.failures}
 *       [moemesh_gateway_api_keys_reload_failures_total], reloads of it that failed, and
 *       {@code moemesh.gateway.api.keys.read.age} [moemesh_gateway_api_keys_read_age_seconds], the
 *       time since a read of it last left its keys in use (it grows while reloads fail or stopped).</li>
 * </ul>
 */
public final class GatewayMetrics implements RouterForwarder.FailoverListener, ApiKeyAuthenticator.FailureListener {

    private final MeterRegistry registry;
    private final AtomicInteger inFlight = new AtomicInteger();

    public GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("moemesh.gateway.in.flight", inFlight, AtomicInteger::get)
                .description("gateway calls not yet finished").register(registry);
    }

    /** A call arrived; returns the start time to pass to {@link #finished}. */
    public long started(String method) {
        Counter.builder("moemesh.gateway.requests").description("calls received").tag("method", method)
                .register(registry).increment();
        inFlight.incrementAndGet();
        return System.nanoTime();
    }

    public void finished(String method, Status.Code code, long startNanos) {
        inFlight.decrementAndGet();
        Timer.builder("moemesh.gateway.latency").description("call duration, whole stream for Generate")
                .tag("method", method).tag("code", code.name()).publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        if (code != Status.Code.OK) {
            Counter.builder("moemesh.gateway.errors").description("calls that ended with an error status")
                    .tag("method", method).tag("code", code.name()).register(registry).increment();
        }
    }

    @Override
    public void failedOver(RouterClient from, RouterClient to, Status reason) {
        Counter.builder("moemesh.gateway.router.failovers")
                .description("calls moved to another router after UNAVAILABLE before the first response")
                .tag("router", from.target()).register(registry).increment();
    }

    @Override
    public void authenticationFailed(boolean throttled) {
        Counter.builder("moemesh.gateway.auth.failures")
                .description("refused authentications: rejected (missing or unknown key) or throttled (too many failures)")
                .tag("outcome", throttled ? "throttled" : "rejected").register(registry).increment();
    }

    /** The reloads of the API key file; nothing when keys come from no file. */
    public void watch(ApiKeyStore keys) {
        if (!keys.readsFile()) {
            return;
        }
        FunctionCounter.builder("moemesh.gateway.api.keys.reload.failures", keys, ApiKeyStore::reloadFailures)
                .description("reloads of the API key file that failed (unreadable, no valid key, or threw); "
                        + "the keys in use stay").register(registry);
        TimeGauge.builder("moemesh.gateway.api.keys.read.age", keys, TimeUnit.NANOSECONDS,
                store -> store.sinceLastGoodRead().toNanos())
                .description("time since a read of the API key file last left its keys in use").register(registry);
    }

    public void watch(RouterClient router) {
        Gauge.builder("moemesh.gateway.router.in.flight", router, RouterClient::inFlight)
                .description("calls in flight to one router").tag("router", router.target()).register(registry);
    }
}
