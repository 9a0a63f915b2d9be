package io.moemesh.router.dispatch;

import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one {@link ExpertClient} counts about its Compute calls, since the client was opened: calls
 * that succeeded, failed or were refused (bulkhead full, breaker open: never sent), the unit-tokens
 * the calls sent asked for (per token, one per listed expert: the endpoint's compute load), and the latency
 * of the calls sent, summed and per {@link StepTimes} bucket. The routing statistics report these
 * per endpoint; {@link DispatchMetrics} publishes the same counters as meters and, while the endpoint
 * is registered, records each latency into its Micrometer timer too (a histogram with Prometheus'
 * few buckets, beside the fine-grained one here).
 */
public final class EndpointCallStats {

    private final LongAdder succeeded = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder unitTokens = new LongAdder();
    private final LongAdder latencyNanos = new LongAdder();
    private final StepTimes latency = new StepTimes();
    private volatile Timer timer;

    /**
     * One endpoint's counts at one moment.
     *
     * @param calls        Compute calls sent (succeeded plus failed)
     * @param failedCalls  of those, the ones that failed
     * @param refusedCalls calls not sent because the endpoint's bulkhead was full or its breaker open
     * @param unitTokens   expert FFN rows the calls sent asked for: per token, one per listed expert
     * @param latencyNanos summed latency of the calls sent
     * @param latency      their latency per bucket
     * @param accepting    whether its breaker lets calls through now
     */
    public record Snapshot(ExpertEndpoint endpoint, long calls, long failedCalls, long refusedCalls, long unitTokens,
            long latencyNanos,
            StepTimes.Snapshot latency, boolean accepting) {
    }

    /** A call was sent asking for {@code units} expert FFN rows (each token's listed experts, summed). */
    void sent(long units) {
        unitTokens.add(units);
    }

    void succeeded(long nanos) {
        succeeded.increment();
        recordLatency(nanos);
    }

    void failed(long nanos) {
        failed.increment();
        recordLatency(nanos);
    }

    void refused() {
        refused.increment();
    }

    private void recordLatency(long nanos) {
        latencyNanos.add(nanos);
        latency.record(nanos);
        Timer t = timer;
        if (t != null) {
            t.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Latencies recorded from now on also go to {@code next}; null stops that. */
    void publishLatencyTo(Timer next) {
        timer = next;
    }

    long succeededCalls() {
        return succeeded.sum();
    }

    long failedCalls() {
        return failed.sum();
    }

    long refusedCalls() {
        return refused.sum();
    }

    Snapshot snapshot(ExpertEndpoint endpoint, boolean accepting) {
        long ok = succeeded.sum();
        long bad = failed.sum();
        return new Snapshot(endpoint, ok + bad, bad, refused.sum(), unitTokens.sum(), latencyNanos.sum(), latency.snapshot(), accepting);
    }
}
