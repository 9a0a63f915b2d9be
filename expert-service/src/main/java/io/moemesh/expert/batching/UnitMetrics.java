package io.moemesh.expert.batching;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.moemesh.expert.unit.UnitId;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The meters of one unit, tagged {@code layer} and {@code expert}; names and meanings are listed in
 * {@code docs/observability.md}. The two distributions publish fixed, small bucket sets (service
 * level objectives) rather than Micrometer's percentile histogram: every bucket is one series per
 * unit, and an expert service may host dozens of units.
 */
final class UnitMetrics {

    static final String TOKENS = "moemesh.expert.tokens";
    static final String BATCH_TOKENS = "moemesh.expert.batch.tokens";
    static final String QUEUE_TOKENS = "moemesh.expert.queue.tokens";
    static final String COMPUTE = "moemesh.expert.compute";
    static final String REJECTED = "moemesh.expert.rejected";
    static final String QUEUE_DELAY = "moemesh.expert.queue.delay";

    /** Tokens per forward pass: powers of two up to 512 (a batch is at most max-batch-tokens). */
    static final double[] BATCH_TOKEN_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
    /** Enqueue to compute start: from "dispatched at once" to "waited far past max-queue-delay". */
    static final Duration[] QUEUE_DELAY_BUCKETS = {Duration.ofNanos(100_000), Duration.ofNanos(250_000),
            Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5),
            Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofSeconds(1)};

    private final MeterRegistry registry;
    private final Counter tokens;
    private final DistributionSummary batchTokens;
    private final Timer compute;
    private final Timer queueDelay;
    private final Gauge queueTokens;
    private final Map<RejectedWorkException.Reason, Counter> rejected = new EnumMap<>(RejectedWorkException.Reason.class);

    UnitMetrics(MeterRegistry registry, UnitId unit, IntSupplier queuedTokens) {
        this.registry = registry;
        Tags tags = Tags.of("layer", Integer.toString(unit.layer()), "expert", Integer.toString(unit.expert()));
        tokens = Counter.builder(TOKENS).tags(tags).baseUnit("tokens")
                .description("Tokens run through this unit's FFN").register(registry);
        batchTokens = DistributionSummary.builder(BATCH_TOKENS).tags(tags).baseUnit("tokens")
                .serviceLevelObjectives(BATCH_TOKEN_BUCKETS)
                .description("Tokens per forward pass after micro-batching").register(registry);
        compute = Timer.builder(COMPUTE).tags(tags)
                .description("Time of one batched forward pass").register(registry);
        queueDelay = Timer.builder(QUEUE_DELAY).tags(tags).serviceLevelObjectives(QUEUE_DELAY_BUCKETS)
                .description("Time from a request's enqueue to the start of the batched forward pass that runs it")
                .register(registry);
        queueTokens = Gauge.builder(QUEUE_TOKENS, queuedTokens, q -> q.getAsInt()).strongReference(true).tags(tags)
                .baseUnit("tokens").description("Tokens waiting in this unit's queue").register(registry);
        for (RejectedWorkException.Reason reason : RejectedWorkException.Reason.values()) {
            rejected.put(reason, Counter.builder(REJECTED).tags(tags).tag("reason", reason.name().toLowerCase())
                    .description("Requests refused or dropped without being computed").register(registry));
        }
    }

    void batch(int batchSize, long elapsedNanos) {
        tokens.increment(batchSize);
        batchTokens.record(batchSize);
        compute.record(elapsedNanos, TimeUnit.NANOSECONDS);
    }

    /** One request of a batch waited {@code nanos} between its enqueue and the start of the batch. */
    void queued(long nanos) {
        queueDelay.record(nanos, TimeUnit.NANOSECONDS);
    }

    void rejected(RejectedWorkException.Reason reason) {
        rejected.get(reason).increment();
    }

    /**
     * Takes this unit's meters out of the registry (the unit was released), so its series end
     * instead of reporting a queue that no longer exists. Later counts, from work that was already
     * queued, still go to the removed meters: they are not published.
     */
    void remove() {
        registry.remove(tokens);
        registry.remove(batchTokens);
        registry.remove(compute);
        registry.remove(queueDelay);
        registry.remove(queueTokens);
        rejected.values().forEach(registry::remove);
    }
}
