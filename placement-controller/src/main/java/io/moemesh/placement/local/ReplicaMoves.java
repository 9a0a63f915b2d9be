package io.moemesh.placement.local;

import io.moemesh.core.local.ExpertPidFile;
import io.moemesh.core.placement.Unit;
import io.moemesh.placement.round.EndpointView;
import io.moemesh.placement.round.ExpertPort;
import io.moemesh.placement.round.RouterPort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.concurrent.locks.LockSupport;

/**
 * Adding and removing one expert process, make-before-break with the routers:
 * <ul>
 *   <li>add: start it (serving), give it its service's partner units, list it in the endpoints file,
 *       then wait until every router lists it with a description;</li>
 *   <li>remove: take it off the endpoints file, wait until no router lists it (its in-flight steps
 *       drained), and only then stop it.</li>
 * </ul>
 * A router that does not catch up within the list timeout is a warning, not an error: the process
 * stays (started and listed, or unlisted and still running) and the next round, reading the pid
 * files and the routers again, finishes the move.
 */
final class ReplicaMoves {

    private final List<RouterPort> routers;
    private final ExpertPort experts;
    private final ProcessPort processes;
    private final EndpointList endpoints;
    private final Duration listTimeout;
    private final Duration poll;

    ReplicaMoves(List<RouterPort> routers, ExpertPort experts, ProcessPort processes, EndpointList endpoints,
            Duration listTimeout, Duration poll) {
        this.routers = routers;
        this.experts = experts;
        this.processes = processes;
        this.endpoints = endpoints;
        this.listTimeout = listTimeout;
        this.poll = poll;
    }

    /** What an add did: the process, and whether every router lists it. */
    record Added(ExpertPidFile process, boolean listed) {
    }

    /**
     * @throws LocalProcessException when the process did not start or would not take its partners
     *                               (it is stopped again, with no pid file and no endpoint)
     */
    Added add(int expert, SortedSet<Unit> partners) {
        ExpertPidFile p = processes.start(expert);
        if (!partners.isEmpty()) {
            try {
                experts.setPartners(p.target(), partners);
            } catch (RuntimeException e) {
                stopQuietly(p, e);
                throw new LocalProcessException("expert " + expert + " process " + p.name()
                        + " would not take its service's partner units, stopped it: " + e.getMessage(), e);
            }
        }
        list(p.target());
        return new Added(p, awaitListed(p.target(), true));
    }

    /** Lists an already serving process in the endpoints file and waits for the routers; whether they list it. */
    boolean list(ExpertPidFile p) {
        list(p.target());
        return awaitListed(p.target(), true);
    }

    /** Whether it was stopped: false while some router still lists it (it keeps running, unlisted). */
    boolean remove(ExpertPidFile p) {
        List<String> listed = new ArrayList<>(endpoints.targets());
        if (listed.remove(p.target())) {
            endpoints.replace(listed);
        }
        if (!awaitListed(p.target(), false)) {
            return false;
        }
        processes.stop(p);
        return true;
    }

    private void list(String target) {
        List<String> listed = new ArrayList<>(endpoints.targets());
        if (!listed.contains(target)) {
            listed.add(target);
            endpoints.replace(listed);
        }
    }

    /** Polls every router's endpoints until each lists {@code target} (or none does), within the list timeout. */
    boolean awaitListed(String target, boolean listed) {
        long deadline = System.nanoTime() + listTimeout.toNanos();
        while (true) {
            if (everyRouter(target, listed)) {
                return true;
            }
            if (System.nanoTime() >= deadline) {
                return false;
            }
            LockSupport.parkNanos(poll.toNanos());
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
        }
    }

    private boolean everyRouter(String target, boolean listed) {
        for (RouterPort r : routers) {
            try {
                boolean has = r.endpoints().stream().map(EndpointView::target).anyMatch(target::equals);
                if (has != listed) {
                    return false;
                }
            } catch (RuntimeException e) {
                return false;
            }
        }
        return true;
    }

    private void stopQuietly(ExpertPidFile p, RuntimeException cause) {
        try {
            processes.stop(p);
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }
}
