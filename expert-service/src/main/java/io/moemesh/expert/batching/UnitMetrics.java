package io.moemesh.expert.batching;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.moemesh.expert.unit.UnitId;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/** The meters of one unit, tagged {@code layer} and {@code expert}. Names are listed in the README. */
final class UnitMetrics {

    static final String TOKENS = "moemesh.expert.tokens";
    static final String BATCH_TOKENS = "moemesh.expert.batch.tokens";
    static final String QUEUE_TOKENS = "moemesh.expert.queue.tokens";
    static final String COMPUTE = "moemesh.expert.compute";
    static final String REJECTED = "moemesh.expert.rejected";

    private final MeterRegistry registry;
    private final Counter tokens;
    private final DistributionSummary batchTokens;
    private final Timer compute;
    private final Gauge queueTokens;
    private final Map<RejectedWorkException.Reason, Counter> rejected = new EnumMap<>(RejectedWorkException.Reason.class);

    UnitMetrics(MeterRegistry registry, UnitId unit, IntSupplier queuedTokens) {
        this.registry = registry;
        Tags tags = Tags.of("layer", Integer.toString(unit.layer()), "expert", Integer.toString(unit.expert()));
        tokens = Counter.builder(TOKENS).tags(tags).baseUnit("tokens")
                .description("Tokens run through this unit's FFN").register(registry);
        batchTokens = DistributionSummary.builder(BATCH_TOKENS).tags(tags).baseUnit("tokens")
                .description("Tokens per forward pass after micro-batching").register(registry);
        compute = Timer.builder(COMPUTE).tags(tags)
                .description("Time of one batched forward pass").register(registry);
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
        registry.remove(queueTokens);
        rejected.values().forEach(registry::remove);
    }
}
