package io.moemesh.router.health;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.moemesh.router.batching.BatchScheduler;
import io.moemesh.router.batching.KvCacheBudget;
import io.moemesh.router.batching.SchedulerStats;
import java.util.function.ToDoubleFunction;

/** The batch scheduler's counters as Micrometer meters ({@code /actuator/prometheus}). */
public final class SchedulerMetrics implements MeterBinder {

    private final BatchScheduler scheduler;

    public SchedulerMetrics(BatchScheduler scheduler) {
        this.scheduler = scheduler;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        SchedulerStats stats = scheduler.stats();
        counter(registry, "moemesh.router.scheduler.steps", "forward steps the batch scheduler finished",
                stats, SchedulerStats::steps);
        counter(registry, "moemesh.router.requests.completed", "requests that finished normally",
                stats, SchedulerStats::completedRequests);
        counter(registry, "moemesh.router.requests.cancelled", "requests whose client cancelled or left",
                stats, SchedulerStats::cancelledRequests);
        counter(registry, "moemesh.router.requests.failed", "requests that ended with an error",
                stats, SchedulerStats::failedRequests);
        counter(registry, "moemesh.router.requests.kv.cache.refused",
                "queued requests refused after waiting max-kv-cache-wait for the KV cache budget",
                stats, SchedulerStats::refusedForKvCache);
        counter(registry, "moemesh.router.streams.abandoned", "streams ended because the client did not read",
                stats, SchedulerStats::abandonedStreams);
        counter(registry, "moemesh.router.tokens.after.cancel", "tokens computed for requests whose client had gone",
                stats, SchedulerStats::tokensAfterCancel);
        counter(registry, "moemesh.router.tokens.cancelled.requests", "tokens generated for requests then cancelled",
                stats, SchedulerStats::tokensOfCancelledRequests);
        counter(registry, "moemesh.router.tokens.generated", "tokens sampled and streamed to clients",
                stats, SchedulerStats::generatedTokens);
        counter(registry, "moemesh.router.tokens.forward",
                "tokens run through forward passes: prompt tokens and one per decoding sequence per step",
                stats, SchedulerStats::forwardTokens);
        counter(registry, "moemesh.router.tokens.degraded",
                "forward tokens computed while one of their chosen experts was unavailable and routed around",
                stats, SchedulerStats::degradedTokens);
        counter(registry, "moemesh.router.pruned.token.steps",
                "token-steps (a token at one MoE layer, per pruned expert it wanted) routed to the next-best expert"
                        + " because the placement controller pruned the one the gate chose",
                stats, SchedulerStats::prunedTokenSteps);
        Gauge.builder("moemesh.router.pruned.experts", scheduler.pruning(), p -> p.current().experts().units().size())
                .description("units (MoE layer, expert) pruned by plan: the gate routes their tokens to the next-best"
                        + " expert").register(registry);
        Gauge.builder("moemesh.router.tokens.after.cancel.max", stats, SchedulerStats::maxTokensAfterCancel)
                .description("the most tokens one cancelled request received after its client had gone")
                .register(registry);
        Gauge.builder("moemesh.router.scheduler.load", scheduler, BatchScheduler::load)
                .description("requests waiting to join the batch plus requests running").register(registry);
        KvCacheBudget kvCache = scheduler.kvCache();
        Gauge.builder("moemesh.router.kv.cache.reserved", kvCache, KvCacheBudget::reservedBytes)
                .baseUnit(BaseUnits.BYTES)
                .description("KV cache bytes reserved by running requests").register(registry);
        Gauge.builder("moemesh.router.kv.cache.budget", kvCache, KvCacheBudget::budgetBytes)
                .baseUnit(BaseUnits.BYTES)
                .description("KV cache bytes running requests may reserve (moemesh.router.kv-cache-budget)")
                .register(registry);
    }

    private static void counter(MeterRegistry registry, String name, String description, SchedulerStats stats,
            ToDoubleFunction<SchedulerStats> value) {
        FunctionCounter.builder(name, stats, value).description(description).register(registry);
    }
}
