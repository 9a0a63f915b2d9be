package io.moemesh.placement.leadership;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code moemesh.controller.leader-election.*}: a coordination.k8s.io Lease decides which controller
 * replica plans and applies. The durations are client-go's defaults: a leader that cannot renew
 * within {@code renewDeadline} stops acting before {@code leaseDuration} lets another replica take over.
 *
 * @param enabled       elect a leader through a Lease; off = this replica always leads (local mode)
 * @param leaseName     name of the Lease
 * @param namespace     namespace of the Lease; blank = the pod's own (its service-account namespace), else default
 * @param identity      this replica's holder identity; blank = HOSTNAME (the pod name), else a random id
 * @param leaseDuration how long a Lease that is not renewed stays held
 * @param renewDeadline how long the leader keeps trying to renew before it stands down
 * @param retryPeriod   pause between tries to acquire or renew
 */
@ConfigurationProperties("moemesh.controller.leader-election")
public record LeaderElectionProperties(
        @DefaultValue("false") boolean enabled,
        @DefaultValue("moe-mesh-placement-controller") String leaseName,
        @DefaultValue("") String namespace,
        @DefaultValue("") String identity,
        @DefaultValue("15s") Duration leaseDuration,
        @DefaultValue("10s") Duration renewDeadline,
        @DefaultValue("2s") Duration retryPeriod) {

    private static final Path SERVICE_ACCOUNT_NAMESPACE =
            Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

    public LeaderElectionProperties {
        if (leaseName == null || leaseName.isBlank()) {
            throw new IllegalArgumentException("moemesh.controller.leader-election.lease-name must not be blank");
        }
        if (leaseDuration.toSeconds() < 1 || !(leaseDuration.compareTo(renewDeadline) > 0)
                || !(renewDeadline.compareTo(retryPeriod) > 0) || !retryPeriod.isPositive()) {
            throw new IllegalArgumentException("moemesh.controller.leader-election needs lease-duration (>= 1s) >"
                    + " renew-deadline > retry-period > 0, got " + leaseDuration + ", " + renewDeadline + ", "
                    + retryPeriod);
        }
        namespace = namespace == null || namespace.isBlank() ? podNamespace() : namespace;
        identity = identity == null || identity.isBlank() ? hostname() : identity;
    }

    /** The pod's own namespace (its service-account namespace file), else {@code default}. */
    public static String podNamespace() {
        try {
            return Files.isReadable(SERVICE_ACCOUNT_NAMESPACE)
                    ? Files.readString(SERVICE_ACCOUNT_NAMESPACE).strip() : "default";
        } catch (IOException e) {
            return "default";
        }
    }

    private static String hostname() {
        String host = System.getenv("HOSTNAME");
        return host == null || host.isBlank() ? "placement-controller-" + UUID.randomUUID() : host;
    }
}
