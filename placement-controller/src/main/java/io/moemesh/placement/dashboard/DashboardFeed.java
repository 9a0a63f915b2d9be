package io.moemesh.placement.dashboard;

import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.PlacementLoop;
import io.moemesh.placement.round.EndpointView;
import io.moemesh.placement.round.LivePlacement;
import io.moemesh.placement.round.RouterCounters;
import io.moemesh.placement.round.RouterPort;
import io.moemesh.placement.round.StatsMerge;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Reads every router every refresh period on its own thread, independently of the planning rounds,
 * and keeps the dashboard's view of the latest poll; HTTP requests only read that view. Per router
 * it keeps the previous reading (to turn cumulative counters into rates) and its latest delta:
 * state keyed by the configured routers only, so nothing grows with what peers send.
 *
 * <p>A router that fails a read is shown failing with the message and its rates drop out; the others
 * are still read. A poll that throws (a bug, not a router) keeps the previous view, is logged, and
 * does not count as completed, so the feed's health goes DOWN if it keeps happening; the next poll
 * runs on schedule.
 */
public final class DashboardFeed implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(DashboardFeed.class);

    private final Supplier<List<RouterPort>> routers;
    private volatile int routerCount = 1;
    private final Supplier<PlacementLoop.State> placement;
    private final DashboardProperties properties;
    private final Clock clock;
    private final Map<String, Sample> samples = new HashMap<>();
    private final Map<String, RouterDelta> deltas = new HashMap<>();
    private final ArrayDeque<DashboardView.Point> history = new ArrayDeque<>();
    private final AtomicReference<DashboardView> view;
    private final Object pollLock = new Object();
    private final Instant created;
    private volatile Instant lastCompleted;
    private volatile String lastFailure;
    private ScheduledExecutorService executor; // guarded by this

    public DashboardFeed(List<RouterPort> routers, Supplier<PlacementLoop.State> placement,
            DashboardProperties properties, Clock clock) {
        this(fixed(routers), placement, properties, clock);
        this.routerCount = routers.size();
    }

    /**
     * With the routers found anew at every poll (on Kubernetes, every router pod behind the headless
     * Service); the per-router state is kept for the routers found at the latest poll only.
     */
    public DashboardFeed(Supplier<List<RouterPort>> routers, Supplier<PlacementLoop.State> placement,
            DashboardProperties properties, Clock clock) {
        this.routers = routers;
        this.placement = placement;
        this.properties = properties;
        this.clock = clock;
        this.created = clock.instant();
        this.view = new AtomicReference<>(ViewAssembler.initial(properties.refresh().toMillis()));
    }

    /** The latest poll's view; never null. */
    public DashboardView view() {
        return view.get();
    }

    /** When the last poll completed, or the feed was created if none has. */
    Instant lastProgress() {
        Instant done = lastCompleted;
        return done == null ? created : done;
    }

    /** Why the last poll threw, or null when it completed. */
    String lastFailure() {
        return lastFailure;
    }

    /** The routers read at the latest poll (before the first: as many as configured, or 1 when discovered). */
    int routerCount() {
        return routerCount;
    }

    private static Supplier<List<RouterPort>> fixed(List<RouterPort> routers) {
        List<RouterPort> copy = List.copyOf(routers);
        return () -> copy;
    }

    /** One poll on the caller's thread (the feed's thread, tests); polls never overlap. */
    public void pollOnce() {
        synchronized (pollLock) {
            poll();
        }
    }

    private void poll() {
        Instant at = clock.instant();
        List<RoutingStats> windows = new ArrayList<>();
        List<RouterCounters> current = new ArrayList<>();
        List<DashboardView.Router> status = new ArrayList<>();
        List<RouterPort> routers = this.routers.get();
        routerCount = Math.max(1, routers.size());
        Set<String> names = routers.stream().map(RouterPort::name).collect(Collectors.toSet());
        samples.keySet().retainAll(names);
        deltas.keySet().retainAll(names);
        for (RouterPort r : routers) {
            try {
                RouterPort.Reading reading = r.read();
                Instant readAt = clock.instant();
                observe(r.name(), new Sample(readAt, reading.traffic(), reading.counters()));
                windows.add(reading.stats());
                current.add(reading.counters());
                status.add(new DashboardView.Router(r.name(), true, null, readAt.toEpochMilli()));
            } catch (RuntimeException e) {
                deltas.remove(r.name());
                Sample last = samples.get(r.name());
                status.add(new DashboardView.Router(r.name(), false, String.valueOf(e.getMessage()),
                        last == null ? 0 : last.at().toEpochMilli()));
            }
        }
        List<RouterDelta> live = routers.stream().map(r -> deltas.get(r.name())).filter(d -> d != null).toList();
        DashboardView.Summary summary = Rates.summary(live);
        if (summary.tokensPerSecond() != null) {
            if (history.size() == properties.history()) {
                history.removeFirst();
            }
            history.addLast(new DashboardView.Point(at.toEpochMilli(), summary.tokensPerSecond()));
        }
        ViewAssembler assembler = new ViewAssembler(at, properties.refresh().toMillis(), status, summary,
                List.copyOf(history), Rates.endpoints(current, live), placement.get());
        view.set(merge(routers, windows, assembler));
        lastFailure = null;
        lastCompleted = clock.instant();
    }

    private DashboardView merge(List<RouterPort> routers, List<RoutingStats> windows, ViewAssembler assembler) {
        if (windows.isEmpty()) {
            return assembler.failed("no router could be read");
        }
        RoutingStats stats;
        try {
            stats = StatsMerge.sum(windows);
        } catch (StatsMerge.RefusedStatsException e) {
            return assembler.failed("refused the routers' statistics: " + e.getMessage());
        }
        return assembler.build(stats, () -> endpointsOfRouters(routers, stats));
    }

    /** Only when no planning round has a live placement yet (before the first, or on a standby replica). */
    private LivePlacement endpointsOfRouters(List<RouterPort> routers, RoutingStats stats) {
        List<EndpointView> views = new ArrayList<>();
        for (RouterPort r : routers) {
            try {
                views.addAll(r.endpoints());
            } catch (RuntimeException e) {
                LOG.debug("router {} did not list its endpoints: {}", r.name(), e.getMessage());
            }
        }
        return views.isEmpty() ? null : LivePlacement.of(views, stats.numLayers(), stats.numExperts());
    }

    /** Keeps the reading and the delta since the previous one (none after a restart: rates start afresh). */
    private void observe(String router, Sample now) {
        Sample before = samples.put(router, now);
        RouterDelta delta = before == null ? null : RouterDelta.between(before, now).orElse(null);
        if (delta == null) {
            deltas.remove(router);
        } else {
            deltas.put(router, delta);
        }
    }

    private void pollSafely() {
        try {
            pollOnce();
        } catch (Throwable e) { // an escaping throwable would cancel the schedule for good
            String failure = e.toString();
            if (failure.equals(lastFailure)) { // the same failure every period: its stack trace once
                LOG.debug("dashboard poll failed again: {}", failure);
            } else {
                LOG.error("dashboard poll failed; the previous view stays", e);
            }
            lastFailure = failure;
        }
    }

    @Override
    public synchronized void start() {
        if (!properties.enabled() || executor != null) {
            return;
        }
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dashboard-feed");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::pollSafely, 0, properties.refresh().toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        ScheduledExecutorService running;
        synchronized (this) {
            running = executor;
            executor = null;
        }
        if (running != null) {
            running.shutdownNow();
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return executor != null;
    }
}
