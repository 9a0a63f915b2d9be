package io.moemesh.router.batching;

import io.moemesh.core.model.PrunedExperts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pruned set forward steps route by, switched as the expert topology is (make-before-break): a
 * step holds the set it started with until it ends, and {@link #install} returns only once every step
 * that started on an earlier set has finished, so after it returns no token goes to a newly pruned
 * unit. A whole forward step reads one set, so all its MoE layers agree.
 */
public final class LivePruning {

    /** A pruned set and why it was installed (empty when nothing is pruned). */
    public record Installed(PrunedExperts experts, String reason) {
    }

    private final Duration drainTimeout;
    private final ReentrantLock installing = new ReentrantLock();
    private final List<Epoch> draining = new ArrayList<>(); // guarded by installing
    private volatile Epoch current = new Epoch(new Installed(PrunedExperts.NONE, ""));

    /** @param drainTimeout how long {@link #install} waits for steps on earlier sets */
    public LivePruning(Duration drainTimeout) {
        this.drainTimeout = drainTimeout;
    }

    private static final class Epoch {

        private final Installed installed;
        private final AtomicInteger steps = new AtomicInteger();
        private final CompletableFuture<Void> drained = new CompletableFuture<>();
        private volatile boolean retired;

        private Epoch(Installed installed) {
            this.installed = installed;
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

    /** One forward step's hold on the set it routes by; closing it lets an {@link #install} return. */
    public static final class Step implements AutoCloseable {

        private final Epoch epoch;

        private Step(Epoch epoch) {
            this.epoch = epoch;
        }

        public PrunedExperts experts() {
            return epoch.installed.experts();
        }

        @Override
        public void close() {
            epoch.leave();
        }
    }

    /** Starts a step on the current set; close it when the step has ended, failed or not. */
    public Step enter() {
        while (true) {
            Epoch e = current;
            e.steps.incrementAndGet();
            if (e == current) {
                return new Step(e);
            }
            e.leave(); // replaced in between: the install may be waiting for this count
        }
    }

    /** The set steps that start now route by. */
    public Installed current() {
        return current.installed;
    }

    /**
     * Installs {@code experts} for the steps that start from now on and waits until no step routes by an
     * earlier set. Installs run one at a time.
     *
     * @throws PruningDrainTimeoutException when steps on earlier sets outlast the drain timeout; the new
     *                                      set stays installed and the next install waits for them again
     * @throws InterruptedException         while waiting; the new set stays installed
     */
    public Installed install(PrunedExperts experts, String reason) throws InterruptedException {
        installing.lockInterruptibly();
        try {
            Epoch old = current;
            Epoch next = new Epoch(new Installed(experts, experts.isEmpty() ? "" : reason));
            current = next;
            old.retire();
            draining.add(old);
            awaitDrained();
            return next.installed;
        } finally {
            installing.unlock();
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
            int steps = draining.stream().mapToInt(d -> d.steps.get()).sum();
            throw new PruningDrainTimeoutException(steps + " forward step(s) that started on an earlier pruned set"
                    + " were still running after " + drainTimeout.toMillis() + " ms. The new set is installed and"
                    + " routes every step started since; do not stop a newly pruned expert's services until"
                    + " SetPrunedExperts returns without this error (call it again with the same set)");
        } catch (ExecutionException e) {
            throw new AssertionError("drained futures are only ever completed normally", e);
        }
    }
}
