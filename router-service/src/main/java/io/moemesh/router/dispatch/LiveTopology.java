package io.moemesh.router.dispatch;

import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The routing layer steps use (the endpoints and what each hosts), replaced at run time
 * make-before-break through a {@link DrainingSwitch}: a step reads the current snapshot once, when it
 * starts ({@link #enter}), and routes by it to its end, retry included; {@link #replace} installs the
 * next snapshot for the steps that start from then on, and returns only once every step that started
 * on an earlier one has finished, so that after it returns nothing is sent by the old routing.
 */
final class LiveTopology {

    private final DrainingSwitch<Snapshot> live;

    /**
     * @param drainTimeout how long {@link #replace} waits for steps on earlier snapshots to finish
     */
    LiveTopology(Routing initial, Duration drainTimeout) {
        this.live = new DrainingSwitch<>(new Snapshot(initial, 0), drainTimeout);
    }

    /** A routing and its version: 0 at start, plus one for every replacement that changed the routing. */
    record Snapshot(Routing routing, long version) {

        ExpertTopology topology() {
            return routing.topology();
        }

        List<ExpertClient> clients() {
            return routing.clients();
        }
    }

    /** One layer step's hold on the snapshot it routes by; closing it lets a replacement finish. */
    static final class Step implements AutoCloseable {

        private final DrainingSwitch.Hold<Snapshot> hold;

        private Step(DrainingSwitch.Hold<Snapshot> hold) {
            this.hold = hold;
        }

        ExpertTopology topology() {
            return hold.value().topology();
        }

        /** The endpoints of {@link #topology()}, by its endpoint indices. */
        List<ExpertClient> clients() {
            return hold.value().clients();
        }

        @Override
        public void close() {
            hold.close();
        }
    }

    /** Starts a step on the current snapshot; close it when the step has finished, failed or not. */
    Step enter() {
        return new Step(live.enter());
    }

    /** The snapshot steps that start now route by. */
    Snapshot current() {
        return live.current();
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
        try {
            return live.replace(old -> {
                Routing routing = next.apply(old.routing());
                return new Snapshot(routing, routing.routesLike(old.routing()) ? old.version() : old.version() + 1);
            });
        } catch (DrainingSwitch.DrainTimeoutException e) {
            throw new TopologyDrainTimeoutException(e.steps() + " layer step(s) that started on an earlier expert"
                    + " topology were still in flight after " + e.waited().toMillis() + " ms. The new topology"
                    + " (version " + live.current().version() + ") is installed and routes every step started since;"
                    + " do not release units it no longer uses until a refresh returns without this error");
        }
    }
}
