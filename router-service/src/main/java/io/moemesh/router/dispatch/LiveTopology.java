package io.moemesh.router.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * The routing layer steps use (the endpoints and what each hosts), replaced at run time
 * make-before-break. A step reads the current snapshot once, when it starts ({@link #enter}), and
 * routes by it to its end, retry included;
 * {@link #replace} installs the next snapshot for the steps that start from then on, and returns only
 * once every step that started on an earlier one has finished, so that after it returns nothing is
 * sent by the old routing.
 *
 * <p>Steps are counted per snapshot. A step increments the count of the snapshot it read and then
 * checks that this snapshot is still current; if not, it steps back and reads again. A replacement
 * swaps first and then waits for the old count to reach zero. Whichever order the two interleave in,
 * a step either sees the new snapshot or is counted on the old one before the replacement looks.
 */
final class LiveTopology {

    private final Duration drainTimeout;
    private final ReentrantLock replacing = new ReentrantLock();
    /** Replaced snapshots whose steps may still be in flight (guarded by {@link #replacing}). */
    private final List<Snapshot> draining = new ArrayList<>();
    private volatile Snapshot current;

    /**
     * @param drainTimeout how long {@link #replace} waits for steps on earlier snapshots to finish
     */
    LiveTopology(Routing initial, Duration drainTimeout) {
        this.current = new Snapshot(initial, 0);
        this.drainTimeout = drainTimeout;
    }

    /** A routing and its version: 0 at start, plus one for every replacement that changed the routing. */
    static final class Snapshot {

        private final Routing routing;
        private final long version;
        private final AtomicInteger steps = new AtomicInteger();
        private final CompletableFuture<Void> drained = new CompletableFuture<>();
        private volatile boolean retired;

        private Snapshot(Routing routing, long version) {
            this.routing = routing;
            this.version = version;
        }

        ExpertTopology topology() {
            return routing.topology();
        }

        List<ExpertClient> clients() {
            return routing.clients();
        }

        long version() {
            return version;
        }

        private void leave() {
            if (steps.decrementAndGet() == 0 && retired) {
                drained.complete(null);
            }
        }

        private void retire() {
            retired = true;
            if (steps.get() == 0) {
                drained.complete(null);
            }
        }
    }

    /** One layer step's hold on the snapshot it routes by; closing it lets a replacement finish. */
    static final class Step implements AutoCloseable {

        private final Snapshot snapshot;

        private Step(Snapshot snapshot) {
            this.snapshot = snapshot;
        }

        ExpertTopology topology() {
            return snapshot.topology();
        }

        /** The endpoints of {@link #topology()}, by its endpoint indices. */
        List<ExpertClient> clients() {
            return snapshot.clients();
        }

        @Override
        public void close() {
            snapshot.leave();
        }
    }

    /** Starts a step on the current snapshot; close it when the step has finished, failed or not. */
    Step enter() {
        while (true) {
            Snapshot s = current;
            s.steps.incrementAndGet();
            if (s == current) {
                return new Step(s);
            }
            s.leave(); // replaced in between: the replacement may be waiting for this count
        }
    }

    /** The snapshot steps that start now route by. */
    Snapshot current() {
        return current;
    }

    /**
     * Installs {@code next.apply(current routing)} for the steps that start from now on, then waits
     * until no step routes by an earlier snapshot. Replacements run one at a time.
     *
     * @return the installed snapshot; its version is one more than before if the routing changed
     * @throws TopologyDrainTimeoutException when steps on earlier snapshots outlast the drain timeout;
     *                                       the new snapshot stays installed, and the next replacement
     *                                       waits for those steps again
     * @throws InterruptedException          while waiting; the new snapshot stays installed
     */
    Snapshot replace(UnaryOperator<Routing> next) throws InterruptedException {
        replacing.lockInterruptibly();
        try {
            Snapshot old = current;
            Routing routing = next.apply(old.routing);
            long version = routing.routesLike(old.routing) ? old.version : old.version + 1;
            Snapshot installed = new Snapshot(routing, version);
            current = installed;
            old.retire();
            draining.add(old);
            awaitDrained(installed);
            return installed;
        } finally {
            replacing.unlock();
        }
    }

    private void awaitDrained(Snapshot installed) throws InterruptedException {
        draining.removeIf(s -> s.drained.isDone());
        CompletableFuture<Void> all = CompletableFuture.allOf(
                draining.stream().map(s -> s.drained).toArray(CompletableFuture[]::new));
        try {
            all.get(drainTimeout.toNanos(), TimeUnit.NANOSECONDS);
            draining.clear();
        } catch (TimeoutException e) {
            int steps = draining.stream().mapToInt(s -> s.steps.get()).sum();
            throw new TopologyDrainTimeoutException(steps + " layer step(s) that started on an earlier expert topology"
                    + " were still in flight after " + drainTimeout.toMillis() + " ms. The new topology (version "
                    + installed.version + ") is installed and routes every step started since; do not release units"
                    + " it no longer uses until a refresh returns without this error");
        } catch (ExecutionException e) {
            throw new AssertionError("drained futures are only ever completed normally", e);
        }
    }
}
