package io.moemesh.router.dispatch;

import io.moemesh.proto.internal.v1.DescribeResponse;
import java.util.List;
import java.util.Optional;

/**
 * The router's expert endpoints, what each hosts, and the switch to what they host now: step 2 of
 * make-before-break re-placement. {@link RemoteExperts} implements it; a router whose experts run in
 * process has no endpoints.
 */
public interface ExpertEndpoints {

    /** The endpoints as the router last asked them, without asking again. */
    State state();

    /**
     * Asks every endpoint what it hosts now, routes layer steps that start from now on by that, and
     * returns once every step that started on the previous topology has finished. An endpoint that
     * does not answer keeps its previous description.
     *
     * @throws IncompatibleEndpointException when an endpoint now serves another model; nothing changed
     * @throws TopologyDrainTimeoutException when steps on the previous topology outlast the wait; the
     *                                       new topology stays installed
     * @throws InterruptedException          while waiting for those steps; the new topology stays installed
     */
    State refresh() throws InterruptedException;

    /**
     * @param topologyVersion 0 for the topology discovered at start-up, plus one for every refresh or
     *                        endpoint switch that changed which endpoints host which units
     * @param endpoints       in the order the router was configured with, or that discovery last gave
     *                        ({@link DynamicExpertEndpoints#reconcile})
     */
    record State(long topologyVersion, List<EndpointState> endpoints) {

        public State {
            endpoints = List.copyOf(endpoints);
        }
    }

    /**
     * @param endpoint    the endpoint and where the router calls it
     * @param description its last Describe answer; empty if it never answered
     * @param accepting   whether the router sends it work now (its circuit breaker is not open)
     */
    record EndpointState(ExpertEndpoint endpoint, Optional<DescribeResponse> description, boolean accepting) {
    }
}
