package io.moemesh.router.health;

import io.moemesh.router.batching.SchedulerHealth;

/**
 * Holds the router out of service until its expert discovery has completed its first reconcile: a
 * router that reported SERVING before it knew any expert endpoint would be sent requests by
 * gateways (and by Kubernetes, through its readiness probe) and answer each of them degraded, every
 * expert unavailable. On Kubernetes the first reconcile follows the first list of the expert
 * Services' EndpointSlices, even an empty one: an empty namespace is a fact, not a wait. A router
 * running its experts in process has nothing to discover and is {@link #ready() ready} at once.
 *
 * <p>It only ever goes from waiting to discovered: a later empty set or a failed switch is the
 * reconciler's business (it keeps the previous endpoints), not a reason to leave the Service.
 */
public final class DiscoveryReadiness {

    private static final SchedulerHealth WAITING = new SchedulerHealth(false, false,
            "waiting for the first expert discovery to complete (no expert endpoints known yet)");

    private volatile boolean discovered;

    /** Nothing to wait for. */
    public static DiscoveryReadiness ready() {
        DiscoveryReadiness readiness = new DiscoveryReadiness();
        readiness.discovered();
        return readiness;
    }

    /** The first reconcile has completed: from now on only the scheduler decides. */
    public void discovered() {
        discovered = true;
    }

    public boolean isDiscovered() {
        return discovered;
    }

    /**
     * {@code scheduler} once discovered; before that not serving, unless the scheduler's own state is
     * fatal (a dead loop must still end the process, discovered or not).
     */
    public SchedulerHealth gate(SchedulerHealth scheduler) {
        return discovered || scheduler.fatal() ? scheduler : WAITING;
    }
}
