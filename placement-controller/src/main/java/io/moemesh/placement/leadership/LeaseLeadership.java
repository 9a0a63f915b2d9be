package io.moemesh.placement.leadership;

import io.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.kubernetes.client.extended.leaderelection.LeaderElector;
import io.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.kubernetes.client.openapi.ApiClient;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * {@link Leadership} through a coordination.k8s.io Lease, with the official client's
 * {@link LeaderElector} and {@link LeaseLock} (get, create, update on the Lease). One thread campaigns:
 * it waits to acquire the Lease, renews it while leading, and campaigns again when it loses it. A
 * {@code LeaderElector} is used for one campaign only, since it keeps what it observed; closing it
 * gives the Lease up when it still holds it, so a standby replica takes over at once.
 */
public final class LeaseLeadership implements Leadership, SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseLeadership.class);

    private final LeaderElectionConfig config;
    private final AtomicReference<String> leader = new AtomicReference<>();
    private final Object transitions = new Object();
    private boolean leading; // guarded by transitions
    private Object term; // guarded by transitions: the campaign in progress, null between campaigns
    private volatile boolean running;
    private Thread campaigner; // guarded by this

    public LeaseLeadership(ApiClient client, LeaderElectionProperties properties) {
        this.config = new LeaderElectionConfig(
                new LeaseLock(properties.namespace(), properties.leaseName(), properties.identity(), client),
                properties.leaseDuration(), properties.renewDeadline(), properties.retryPeriod());
    }

    @Override
    public boolean isLeader() {
        synchronized (transitions) {
            return leading;
        }
    }

    @Override
    public Optional<String> leader() {
        return Optional.ofNullable(leader.get());
    }

    private void campaign() {
        while (running) {
            LeaderElector elector = new LeaderElector(config,
                    e -> LOG.warn("leader election: could not acquire or renew the lease: {}", e.toString()));
            Object term = new Object();
            synchronized (transitions) {
                this.term = term;
            }
            try {
                elector.run(() -> lead(term), this::standDown, leader::set);
            } finally {
                elector.close();
            }
        }
    }

    /** Runs on the elector's hook thread, possibly after the campaign already ended: then it is ignored. */
    private void lead(Object campaignTerm) {
        synchronized (transitions) {
            if (term == campaignTerm && !leading) {
                leading = true;
                LOG.info("placement controller acquired leadership ({})", config.getLock().describe());
            }
        }
    }

    private void standDown() {
        synchronized (transitions) {
            term = null;
            if (leading) {
                leading = false;
                LOG.info("placement controller lost leadership ({})", config.getLock().describe());
            }
        }
    }

    @Override
    public synchronized void start() {
        running = true;
        campaigner = Thread.ofPlatform().daemon().name("placement-leader-election").start(this::campaign);
    }

    /** Stops campaigning; a leader gives up the Lease. */
    @Override
    public synchronized void stop() {
        if (campaigner == null) {
            return;
        }
        running = false;
        campaigner.interrupt(); // the elector sleeps and waits on its workers; an interrupt ends its run
        try {
            campaigner.join(config.getRenewDeadline().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        campaigner = null;
    }

    @Override
    public synchronized boolean isRunning() {
        return campaigner != null;
    }

    /** Starts before the placement loop and stops after it, so the Lease is given up last. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 1;
    }
}
