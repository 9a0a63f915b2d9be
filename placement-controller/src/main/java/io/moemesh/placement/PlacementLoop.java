package io.moemesh.placement;

import io.moemesh.placement.health.LoopProgress;
import io.moemesh.placement.leadership.Leadership;
import io.moemesh.placement.round.Outcome;
import io.moemesh.placement.round.PlacementReport;
import io.moemesh.placement.round.PlacementRound;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs a planning round every {@code interval} on one thread, so rounds never overlap, and keeps
 * the latest report and the count of plans applied for the status APIs. Only the leader among the
 * controller replicas runs rounds; a standby records why it does nothing. It signals its
 * {@link LoopProgress} when it starts and when each round starts and ends (a round that throws
 * included), for the watchdog that turns health NOT_SERVING when rounds stop coming.
 */
public final class PlacementLoop implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(PlacementLoop.class);

    /**
     * What the status APIs show: the latest round, the plans applied so far, and the last round that
     * applied one (kept through later rounds that apply nothing, for the dashboard's last change).
     */
    public record State(PlacementReport latest, long plansApplied, Instant lastApplied,
            PlacementReport lastAppliedReport) {
    }

    private final PlacementRound round;
    private final Leadership leadership;
    private final Duration initialDelay;
    private final Duration interval;
    private final AtomicReference<State> state = new AtomicReference<>(new State(null, 0, null, null));
    private final List<Consumer<PlacementReport>> listeners = new CopyOnWriteArrayList<>();
    private final ReentrantLock roundLock = new ReentrantLock();
    private final Clock clock;
    private final LoopProgress progress;
    private ScheduledExecutorService executor; // guarded by this (lifecycle only, never held during a round)
    private Outcome lastOutcome; // guarded by roundLock

    public PlacementLoop(PlacementRound round, Leadership leadership, Duration initialDelay, Duration interval,
            Clock clock) {
        this(round, leadership, initialDelay, interval, new LoopProgress(clock));
    }

    /**
     * With the progress its round's long waits also signal (the rollout gate's reads); the loop reads
     * the time from the progress' clock.
     */
    public PlacementLoop(PlacementRound round, Leadership leadership, Duration initialDelay, Duration interval,
            LoopProgress progress) {
        this.round = round;
        this.leadership = leadership;
        this.clock = progress.clock();
        this.progress = progress;
        this.initialDelay = initialDelay;
        this.interval = interval;
    }

    /** When the loop last moved on: the watchdog's and the metrics' source. */
    public LoopProgress progress() {
        return progress;
    }

    public State state() {
        return state.get();
    }

    /** Called with every round's report, on the round's thread, after the state is updated. */
    public void onRound(Consumer<PlacementReport> listener) {
        listeners.add(listener);
    }

    public PlacementRound round() {
        return round;
    }

    /** One round now if this replica leads, on the caller's thread (tests, the loop); rounds never overlap. */
    public PlacementReport runOnce() {
        roundLock.lock();
        try {
            progress.progressed();
            return record(runSafely());
        } finally {
            progress.progressed(); // an Error escaping the round still ends it
            roundLock.unlock();
        }
    }

    /** A round that throws still leaves a report, so the status never shows a stale decision. */
    private PlacementReport runSafely() {
        if (!leadership.isLeader()) {
            return PlacementReport.standby(clock.instant(), "standby: "
                    + leadership.leader().map(l -> l + " leads").orElse("no leader observed yet"));
        }
        try {
            return round.run();
        } catch (RuntimeException e) {
            LOG.error("placement round failed", e);
            return PlacementReport.failed(clock.instant(), "round failed: " + e);
        }
    }

    private PlacementReport record(PlacementReport report) {
        state.updateAndGet(s -> report.applied()
                ? new State(report, s.plansApplied() + 1, report.at(), report)
                : new State(report, s.plansApplied(), s.lastApplied(), s.lastAppliedReport()));
        for (Consumer<PlacementReport> listener : listeners) {
            try {
                listener.accept(report);
            } catch (RuntimeException e) { // a listener (metrics) never stops the loop
                LOG.warn("placement round listener failed", e);
            }
        }
        // every round at debug; at info when the kind of decision changes (applied, kept, waiting, ...)
        if (report.outcome() != lastOutcome) {
            LOG.info("placement round: {}", report.decision());
            lastOutcome = report.outcome();
        } else {
            LOG.debug("placement round: {}", report.decision());
        }
        return report;
    }

    @Override
    public synchronized void start() {
        progress.progressed(); // the first round comes after the initial delay, which the stall limit allows for
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "placement-round");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(() -> {
            try {
                runOnce();
            } catch (Throwable e) { // an escaping throwable would cancel the schedule for good
                LOG.error("placement round failed", e);
            }
        }, initialDelay.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Interrupts a round in progress (its blocking calls are cancelled) instead of waiting for it. */
    @Override
    public synchronized void stop() {
        if (executor != null) {
            executor.shutdownNow();
            executor = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return executor != null;
    }
}
