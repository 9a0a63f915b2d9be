package io.moemesh.router.dispatch;

import java.util.List;

/**
 * Expert endpoints whose set can change while the router runs: on Kubernetes, pods come and go and
 * discovery tells the router ({@code io.moemesh.router.discovery}). {@link RemoteExperts} implements it.
 */
public interface DynamicExpertEndpoints extends ExpertEndpoints {

    /**
     * Makes {@code endpoints} the router's endpoints, make-before-break: endpoints that are new (or
     * that never answered Describe) are asked what they host before any layer step may use them;
     * layer steps that start from then on route over the new set; once every step that started on the
     * previous set has finished, the clients of endpoints that are gone are closed. Endpoints that
     * stay keep their client (circuit breaker, bulkhead) and their description.
     *
     * <p>An endpoint asked here that serves another model is left out ({@link Change#rejected}); the
     * others still apply. An endpoint that does not answer Describe is kept but hosts nothing until a later
     * reconcile or refresh reaches it.
     *
     * @param endpoints the complete set, ids unique; its order is the endpoints' order from now on
     *                  (replicas tie-break by it)
     * @throws IllegalArgumentException      when two endpoints share an id
     * @throws TopologyDrainTimeoutException when steps on the previous set outlast the wait; the new set
     *                                       stays installed, and the clients of removed endpoints are
     *                                       closed after a later switch drains, or when the router closes
     * @throws InterruptedException          while waiting for those steps; as for the timeout
     */
    Change reconcile(List<ExpertEndpoint> endpoints) throws InterruptedException;

    /**
     * @param added    endpoints the router did not have before
     * @param removed  endpoints it no longer has
     * @param rejected endpoints left out because they serve another model (also in {@code removed} if the
     *                 router had them before)
     * @param state    the endpoints now
     */
    record Change(List<ExpertEndpoint> added, List<ExpertEndpoint> removed, List<ExpertEndpoint> rejected,
            State state) {

        public Change {
            added = List.copyOf(added);
            removed = List.copyOf(removed);
            rejected = List.copyOf(rejected);
        }

        public boolean changedEndpoints() {
            return !added.isEmpty() || !removed.isEmpty();
        }
    }
}
