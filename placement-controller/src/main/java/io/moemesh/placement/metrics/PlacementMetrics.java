package io.moemesh.placement.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.moemesh.placement.PlacementLoop;
import io.moemesh.placement.round.Outcome;
import io.moemesh.placement.round.PlacementReport;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The controller's meters, updated after every round: {@code moemesh.placement.rounds} tagged with
 * each round's {@link Outcome} ({@code decision=applied|kept|waiting|dry_run|standby|failed}),
 * {@code moemesh.placement.plans.applied}, and gauges of the latest scores (expected remote calls
 * per token per layer of the live placement, the candidate and the one-service-per-expert baseline,
 * the routers' observed ones, and the live placement's max/mean service load), and in local mode
 * {@code moemesh.controller.pruned.experts} and {@code moemesh.controller.expert.processes}. A gauge keeps its
 * value through rounds that did not compute it (NaN until one did). {@code moemesh.placement.seconds.since.progress}
 * is read when scraped, not per round: it keeps growing while a round hangs, for an alert to watch.
 */
public final class PlacementMetrics {

    private final Map<Outcome, Counter> rounds = new EnumMap<>(Outcome.class);
    private final Counter applied;
    private final AtomicReference<Double> live = new AtomicReference<>(Double.NaN);
    private final AtomicReference<Double> candidate = new AtomicReference<>(Double.NaN);
    private final AtomicReference<Double> baseline = new AtomicReference<>(Double.NaN);
    private final AtomicReference<Double> observed = new AtomicReference<>(Double.NaN);
    private final AtomicReference<Double> maxMeanLoad = new AtomicReference<>(Double.NaN);
    private final AtomicReference<Double> prunedExperts = new AtomicReference<>(Double.NaN);
    private final AtomicReference<Double> expertProcesses = new AtomicReference<>(Double.NaN);

    public PlacementMetrics(MeterRegistry registry, PlacementLoop loop) {
        for (Outcome outcome : Outcome.values()) {
            rounds.put(outcome, Counter.builder("moemesh.placement.rounds").tag("decision", outcome.tag())
                    .description("Planning rounds, by what they decided").register(registry));
        }
        applied = Counter.builder("moemesh.placement.plans.applied").description("Placement plans applied")
                .register(registry);
        gauge(registry, "live", live);
        gauge(registry, "candidate", candidate);
        gauge(registry, "baseline", baseline);
        gauge(registry, "observed", observed);
        Gauge.builder("moemesh.placement.max.mean.load", maxMeanLoad, AtomicReference::get)
                .description("Max/mean expert service load of the live placement").register(registry);
        Gauge.builder("moemesh.controller.pruned.experts", prunedExperts, AtomicReference::get)
                .description("Experts the routers prune now (local mode; NaN until the local step ran)")
                .register(registry);
        Gauge.builder("moemesh.controller.expert.processes", expertProcesses, AtomicReference::get)
                .description("Live expert-service processes (local mode; NaN until the local step ran)")
                .register(registry);
        Gauge.builder("moemesh.placement.seconds.since.progress", loop.progress(),
                        p -> p.sinceProgress().toMillis() / 1000.0)
                .description("Seconds since the planning loop last made progress (a round started or ended, or a"
                        + " rollout wait read its Deployment); health turns NOT_SERVING past the stall limit")
                .register(registry);
        loop.onRound(this::record);
    }

    private static void gauge(MeterRegistry registry, String plan, AtomicReference<Double> value) {
        Gauge.builder("moemesh.placement.calls.per.token", value, AtomicReference::get).tag("plan", plan)
                .description("Remote calls per token per layer: expected for a plan, or observed").register(registry);
    }

    void record(PlacementReport report) {
        rounds.get(report.outcome()).increment();
        if (report.applied()) {
            applied.increment();
        }
        if (report.liveScore() != null) {
            live.set(report.liveScore().remoteCallsPerToken());
            maxMeanLoad.set(report.liveScore().maxMeanLoad());
        }
        if (report.candidateScore() != null) {
            candidate.set(report.candidateScore().remoteCallsPerToken());
        }
        if (report.baselineScore() != null) {
            baseline.set(report.baselineScore().remoteCallsPerToken());
        }
        if (report.local() != null) {
            prunedExperts.set((double) report.local().pruned().size());
            expertProcesses.set((double) report.local().expertProcesses());
        }
        if (report.observed().tokenLayers() > 0) {
            observed.set(report.observed().callsPerToken());
        }
    }
}
