package io.moemesh.router.batching;

import io.moemesh.core.model.PrunedExperts;
import io.moemesh.router.dispatch.DrainingSwitch;
import java.time.Duration;

/**
 * The pruned set forward steps route by, switched as the expert topology is (make-before-break): a
 * step holds the set it started with until it ends, and {@link #install} returns only once every step
 * that started on an earlier set has finished, so after it returns no token goes to a newly pruned
 * unit ({@link DrainingSwitch}). A whole forward step reads one set, so all its MoE layers agree.
 */
public final class LivePruning {

    /** A pruned set and why it was installed (empty when nothing is pruned). */
    public record Installed(PrunedExperts experts, String reason) {
    }

    private final DrainingSwitch<Installed> live;

    /** @param drainTimeout how long {@link #install} waits for steps on earlier sets */
    public LivePruning(Duration drainTimeout) {
        this.live = new DrainingSwitch<>(new Installed(PrunedExperts.NONE, ""), drainTimeout);
    }

    /** One forward step's hold on the set it routes by; closing it lets an {@link #install} return. */
    public static final class Step implements AutoCloseable {

        private final DrainingSwitch.Hold<Installed> hold;

        private Step(DrainingSwitch.Hold<Installed> hold) {
            this.hold = hold;
        }

        public PrunedExperts experts() {
            return hold.value().experts();
        }

        @Override
        public void close() {
            hold.close();
        }
    }

    /** Starts a step on the current set; close it when the step has ended, failed or not. */
    public Step enter() {
        return new Step(live.enter());
    }

    /** The set steps that start now route by. */
    public Installed current() {
        return live.current();
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
        try {
            return live.replace(old -> new Installed(experts, experts.isEmpty() ? "" : reason));
        } catch (DrainingSwitch.DrainTimeoutException e) {
            throw new PruningDrainTimeoutException(e.steps() + " forward step(s) that started on an earlier pruned"
                    + " set were still running after " + e.waited().toMillis() + " ms. The new set is installed and"
                    + " routes every step started since; do not stop a newly pruned expert's services until"
                    + " SetPrunedExperts returns without this error (call it again with the same set)");
        }
    }
}
