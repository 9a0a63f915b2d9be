package io.moemesh.router.discovery;

import io.moemesh.router.dispatch.DynamicExpertEndpoints;
import io.moemesh.router.dispatch.ExpertEndpoint;
import io.moemesh.router.dispatch.ExpertEndpoints;
import io.moemesh.router.dispatch.TopologyDrainTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the router's expert endpoints in line with what discovery reports. Level-based: whatever woke
 * it (a report, a timer, the periodic resync), it compares the newest reported set with the endpoints
 * the router has ({@link DynamicExpertEndpoints#state}) and converges with one
 * {@link DynamicExpertEndpoints#reconcile}, or waits:
 *
 * <ul>
 *   <li>One switch at a time, on the executor's thread; sets reported meanwhile collapse into the newest.
 *   <li>The first report applies at once. A later change applies {@code debounce} after it was first
 *       reported (not after the last one: a set that keeps changing cannot starve it), with the newest
 *       set by then.
 *   <li>An empty set while the router has endpoints is held back until it has lasted {@code emptyGrace};
 *       a non-empty report meanwhile ends the wait. Then the endpoints are dropped: the experts are
 *       unavailable and the router serves degraded, as it would with endpoints that no longer answer.
 *   <li>Every {@code resync} it looks again, so that an endpoint that did not answer Describe is asked
 *       again and a switch that failed is retried.
 *   <li>A look that fails (the switch throws, an Error included) is logged at WARN — with its cause the
 *       first time, then with the count of failures in a row — and ends nothing: the next report or
 *       resync looks again. Nothing escapes to the executor, where it would cancel the periodic resync
 *       without a trace.
 * </ul>
 */
public final class ExpertEndpointsReconciler implements ExpertDiscovery.Listener, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ExpertEndpointsReconciler.class);

    private final DynamicExpertEndpoints endpoints;
    private final DiscoveryProperties properties;
    private final Clock clock;
    private final ScheduledExecutorService executor;
    // guarded by this
    private List<ExpertEndpoint> reported; // null until discovery first reports
    private Instant dueAt; // when the reported change may be applied; null: nothing waiting
    private Instant emptySince; // when the reported set became empty; null while it is not
    private boolean holdLogged;
    private final CompletableFuture<Void> firstReconcile = new CompletableFuture<>();
    private final FailureStreak failures = new FailureStreak(LOG, "could not switch to the discovered expert endpoints");

    /**
     * @param executor runs every reconcile, one at a time (a single thread); the reconciler shuts it down
     *                 when it closes
     */
    public ExpertEndpointsReconciler(DynamicExpertEndpoints endpoints, DiscoveryProperties properties, Clock clock,
            ScheduledExecutorService executor) {
        this.endpoints = endpoints;
        this.properties = properties;
        this.clock = clock;
        this.executor = executor;
    }

    /** Subscribes to {@code discovery} and reconciles from then on; closing the subscription stops both. */
    public ExpertDiscovery.Subscription follow(ExpertDiscovery discovery) {
        long resync = properties.resync().toNanos();
        executor.scheduleWithFixedDelay(this::tick, resync, resync, TimeUnit.NANOSECONDS);
        ExpertDiscovery.Subscription subscription;
        try {
            subscription = discovery.subscribe(this);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        return () -> {
            subscription.close();
            close();
        };
    }

    @Override
    public void onEndpoints(List<ExpertEndpoint> discovered) {
        Instant now = clock.instant();
        synchronized (this) {
            if (reported == null) {
                dueAt = now;
            } else if (dueAt == null && !sameSet(discovered, reported)) {
                dueAt = now.plus(properties.debounce());
            }
            if (!discovered.isEmpty()) {
                emptySince = null;
                holdLogged = false;
            } else if (emptySince == null) {
                emptySince = now;
            }
            reported = List.copyOf(discovered);
        }
        run(this::tick, Duration.ZERO);
    }

    /**
     * Compares once and converges or waits.
     *
     * @return when to look again (a debounce or the empty grace ends then); empty when nothing waits
     */
    Optional<Instant> reconcileOnce() throws InterruptedException {
        List<ExpertEndpoint> target;
        Instant due;
        Instant empty;
        synchronized (this) {
            target = reported;
            due = dueAt;
            empty = emptySince;
        }
        if (target == null) {
            return Optional.empty();
        }
        ExpertEndpoints.State state = endpoints.state();
        List<ExpertEndpoint> current = state.endpoints().stream().map(ExpertEndpoints.EndpointState::endpoint).toList();
        boolean undescribed = state.endpoints().stream().anyMatch(e -> e.description().isEmpty());
        if (sameSet(target, current) && !undescribed) {
            applied(target);
            return Optional.empty();
        }
        Instant now = clock.instant();
        if (due != null && now.isBefore(due)) {
            return Optional.of(due);
        }
        if (target.isEmpty() && !current.isEmpty()) {
            Instant until = empty.plus(properties.emptyGrace());
            if (now.isBefore(until)) {
                logHold(current.size(), until);
                return Optional.of(until);
            }
            LOG.warn("discovery has reported no expert endpoints for {}: dropping the router's {} endpoints; every"
                    + " expert is unavailable until some are discovered", properties.emptyGrace(), current.size());
        }
        endpoints.reconcile(target);
        applied(target);
        return Optional.empty();
    }

    private void applied(List<ExpertEndpoint> target) {
        synchronized (this) {
            if (reported == target) { // a newer report keeps its own due time
                dueAt = null;
            }
        }
        firstReconcile.complete(null);
    }

    /**
     * Completes when the router's endpoints first match a set discovery reported (switched to it, or
     * already holding it): the router's readiness waits for it ({@code DiscoveryReadiness}). An
     * endpoint that did not answer Describe does not hold it back; the resync asks it again.
     */
    public CompletionStage<Void> firstReconcile() {
        return firstReconcile;
    }

    private synchronized void logHold(int current, Instant until) {
        if (!holdLogged) {
            holdLogged = true;
            LOG.warn("discovery reports no expert endpoints; keeping the router's {} endpoints until {} (empty grace"
                    + " {}) in case this is a glitch", current, until, properties.emptyGrace());
        }
    }

    private void tick() {
        try {
            reconcileOnce().ifPresent(at -> run(this::tick, Duration.between(clock.instant(), at)));
            failures.succeeded("the router's expert endpoints follow discovery again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (TopologyDrainTimeoutException e) {
            LOG.warn("switched to the discovered expert endpoints, but layer steps on the previous ones are still in"
                    + " flight; their clients close after a later switch: {}", e.getMessage());
        } catch (Throwable e) { // an Error too: escaping a periodic task cancels the resync for good
            failures.failed(e, "retrying within " + properties.resync());
        }
    }

    private void run(Runnable task, Duration delay) {
        try {
            executor.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closed: discovery may still report while it stops
        }
    }

    private static boolean sameSet(List<ExpertEndpoint> a, List<ExpertEndpoint> b) {
        return a.size() == b.size() && new HashSet<>(a).equals(new HashSet<>(b));
    }

    /** Stops reconciling; a switch in progress is interrupted (its new endpoint set may stay installed). */
    @Override
    public void close() {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("the expert endpoint reconciler did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
