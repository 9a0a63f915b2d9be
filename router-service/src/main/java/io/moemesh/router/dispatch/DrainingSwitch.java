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
 * A value that steps read once when they start and hold to their end, replaced make-before-break:
 * {@link #replace} installs the next value for the steps that start from then on and returns only once
 * every step that started on an earlier value has finished. The router's expert topology
 * ({@link LiveTopology}) and its pruned set ({@code LivePruning}) switch this way.
 *
 * <p>Steps are counted per installed value. A step increments the count of the value it read and then
 * checks that this value is still current; if not, it steps back and reads again. A replacement swaps
 * first and then waits for the old count to reach zero. Whichever order the two interleave in, a step
 * either sees the new value or is counted on the old one before the replacement looks.
 *
 * @param <T> the value steps route by
 */
public final class DrainingSwitch<T> {

    private final Duration drainTimeout;
    private final ReentrantLock replacing = new ReentrantLock();
    /** Replaced epochs whose steps may still be in flight (guarded by {@link #replacing}). */
    private final List<Epoch<T>> draining = new ArrayList<>();
    private volatile Epoch<T> current;

    /** @param drainTimeout how long {@link #replace} waits for steps on earlier values to finish */
    public DrainingSwitch(T initial, Duration drainTimeout) {
        this.current = new Epoch<>(initial);
        this.drainTimeout = drainTimeout;
    }

    private static final class Epoch<T> {

        private final T value;
        private final AtomicInteger steps = new AtomicInteger();
        private final CompletableFuture<Void> drained = new CompletableFuture<>();
        private volatile boolean retired;

        private Epoch(T value) {
            this.value = value;
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

    /** One step's hold on the value it started with; closing it lets a replacement finish. */
    public static final class Hold<T> implements AutoCloseable {

        private final Epoch<T> epoch;

        private Hold(Epoch<T> epoch) {
            this.epoch = epoch;
        }

        public T value() {
            return epoch.value;
        }

        @Override
        public void close() {
            epoch.leave();
        }
    }

    /** Starts a step on the current value; close it when the step has finished, failed or not. */
    public Hold<T> enter() {
        while (true) {
            Epoch<T> e = current;
            e.steps.incrementAndGet();
            if (e == current) {
                return new Hold<>(e);
            }
            e.leave(); // replaced in between: the replacement may be waiting for this count
        }
    }

    /** The value steps that start now hold. */
    public T current() {
        return current.value;
    }

    /**
     * Installs {@code next.apply(current value)} for the steps that start from now on, then waits until
     * no step holds an earlier value. Replacements run one at a time.
     *
     * @return the installed value
     * @throws DrainTimeoutException when steps on earlier values outlast the drain timeout; the new value
     *                               stays installed and the next replacement waits for them again
     * @throws InterruptedException  while waiting; the new value stays installed
     */
    public T replace(UnaryOperator<T> next) throws InterruptedException {
        replacing.lockInterruptibly();
        try {
            Epoch<T> old = current;
            Epoch<T> installed = new Epoch<>(next.apply(old.value));
            current = installed;
            old.retire();
            draining.add(old);
            awaitDrained();
            return installed.value;
        } finally {
            replacing.unlock();
        }
    }

    private void awaitDrained() throws InterruptedException {
        draining.removeIf(e -> e.drained.isDone());
        CompletableFuture<Void> all = CompletableFuture.allOf(
                draining.stream().map(e -> e.drained).toArray(CompletableFuture[]::new));
        try {
            all.get(drainTimeout.toNanos(), TimeUnit.NANOSECONDS);
            draining.clear();
        } catch (TimeoutException e) {
            throw new DrainTimeoutException(draining.stream().mapToInt(d -> d.steps.get()).sum(), drainTimeout);
        } catch (ExecutionException e) {
            throw new AssertionError("drained futures are only ever completed normally", e);
        }
    }

    /** Steps on earlier values were still running when {@link #replace} stopped waiting for them. */
    public static final class DrainTimeoutException extends RuntimeException {

        private final int steps;
        private final Duration waited;

        DrainTimeoutException(int steps, Duration waited) {
            super(steps + " step(s) on an earlier value still running after " + waited.toMillis() + " ms");
            this.steps = steps;
            this.waited = waited;
        }

        /** How many steps were still running. */
        public int steps() {
            return steps;
        }

        public Duration waited() {
            return waited;
        }
    }
}
