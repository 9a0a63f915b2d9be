package io.moemesh.placement;

import io.moemesh.placement.leadership.LeaderElectionProperties;
import io.moemesh.placement.local.LocalProperties;
import io.moemesh.placement.local.PruningProperties;
import io.moemesh.placement.round.PlacementSettings;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code moemesh.controller.*}: which routers to read, how often to plan, and the plan's limits.
 *
 * @param routers          routers as {@code host:port} (their internal gRPC port, the router's
 *                         {@code moemesh.router.internal-grpc-port}, default 50056), or {@code dns:///host:port}
 *                         for every router pod the name resolves to, looked up every round (the chart's
 *                         headless router Service); required
 * @param grpcPort         port of the PlacementController gRPC service (0 = any free port)
 * @param initialDelay     wait before the first round
 * @param interval         pause between the end of a round and the start of the next
 * @param memoryBudget     expert memory a plan may use, relative to one copy of every unit
 * @param perServiceUnits  most units one expert service may host; 0 = its own units plus half as many
 * @param balanceBound     max/mean service load a plan may reach
 * @param maxReplicas      replica targets range over 1..max (applied on Kubernetes, and in local mode within
 *                         {@code local.max-expert-processes})
 * @param minGain          relative cut of expected remote calls a new plan must bring (hysteresis)
 * @param minWindowTokens  tokens the routers' statistics window must hold before planning
 * @param dryRun           plan and report only
 * @param callTimeout      deadline of a call to a router or an expert endpoint (SetPartnerUnits loads
 *                         and warms units within it)
 * @param mode             {@code local}: apply plans in place on the running expert endpoints ({@code moe up});
 *                         {@code kubernetes}: write them to the expert Deployments and HPAs of this namespace
 *                         (partner-units annotation, minReplicas) and let the Deployments roll
 * @param namespace        namespace of the expert Deployments in kubernetes mode; blank = the pod's own
 * @param expertSelector   label selector of the expert Deployments and HPAs in kubernetes mode
 * @param refreshTimeout   deadline of a router refresh, which waits for in-flight layer steps: give it more
 *                         than the router's own bound (its Describe calls plus 2 x its expert call timeout
 *                         + 1 s, 16 s with the router's defaults)
 * @param rolloutTimeout   kubernetes mode: how long one expert Deployment may take to become available
 *                         again after its partner units changed before the controller stops rolling
 *                         the others this round (it rolls one expert at a time); with the interval it
 *                         also sets how long the planning loop may go without progress before the
 *                         controller's health turns NOT_SERVING: max(initial-delay, interval) + rollout-timeout
 * @param local            {@code local.*}: the expert processes the controller starts and stops in local mode
 *                         (replicas and pruning); off without {@code local.expert-command}
 * @param pruning          {@code pruning.*}: scaling cold experts to zero (local mode with {@code local.*})
 */
@ConfigurationProperties("moemesh.controller")
public record ControllerProperties(
        List<String> routers,
        @DefaultValue("50053") int grpcPort,
        @DefaultValue("30s") Duration initialDelay,
        @DefaultValue("30s") Duration interval,
        @DefaultValue("1.25") double memoryBudget,
        @DefaultValue("0") int perServiceUnits,
        @DefaultValue("1.25") double balanceBound,
        @DefaultValue("4") int maxReplicas,
        @DefaultValue("0.05") double minGain,
        @DefaultValue("2000") long minWindowTokens,
        @DefaultValue("false") boolean dryRun,
        @DefaultValue("30s") Duration callTimeout,
        @DefaultValue("30s") Duration refreshTimeout,
        @DefaultValue("local") Mode mode,
        @DefaultValue("") String namespace,
        @DefaultValue("moemesh.io/role=expert") String expertSelector,
        @DefaultValue("10m") Duration rolloutTimeout,
        @DefaultValue LocalProperties local,
        @DefaultValue PruningProperties pruning) {

    /** Where plans are applied. */
    public enum Mode {
        LOCAL,
        KUBERNETES
    }

    public ControllerProperties {
        if (routers == null || routers.isEmpty()) {
            throw new IllegalArgumentException("moemesh.controller.routers is required: the routers' gRPC addresses,"
                    + " e.g. --moemesh.controller.routers=127.0.0.1:50052");
        }
        for (String r : routers) {
            if (!r.matches("(dns:///)?[^:/\\s]+:\\d{1,5}")) {
                throw new IllegalArgumentException("moemesh.controller.routers entry '" + r + "' must be host:port,"
                        + " or dns:///host:port for every router the name resolves to (a headless Service)");
            }
        }
        routers = List.copyOf(routers);
        if (interval.isNegative() || interval.isZero() || initialDelay.isNegative()) {
            throw new IllegalArgumentException("moemesh.controller.interval must be > 0 and initial-delay >= 0, got "
                    + interval + " and " + initialDelay);
        }
        if (!rolloutTimeout.isPositive()) {
            throw new IllegalArgumentException("moemesh.controller.rollout-timeout must be > 0, got " + rolloutTimeout);
        }
        if (!callTimeout.isPositive() || !refreshTimeout.isPositive()) {
            throw new IllegalArgumentException("moemesh.controller.call-timeout and refresh-timeout must be > 0, got "
                    + callTimeout + " and " + refreshTimeout);
        }
        settings(memoryBudget, perServiceUnits, balanceBound, maxReplicas, minGain, minWindowTokens, dryRun);
        if (expertSelector == null || expertSelector.isBlank()) {
            throw new IllegalArgumentException("moemesh.controller.expert-selector must not be blank, e.g."
                    + " app.kubernetes.io/instance=moe-mesh,moemesh.io/role=expert");
        }
        local = local == null ? LocalProperties.off() : local;
        pruning = pruning == null ? PruningProperties.off() : pruning;
        if (local.enabled() && mode != Mode.LOCAL) {
            throw new IllegalArgumentException("moemesh.controller.local.expert-command is for mode=local (moe up);"
                    + " in kubernetes mode the Deployments and HPAs scale the experts");
        }
        if (pruning.enabled() && !local.enabled()) {
            throw new IllegalArgumentException("moemesh.controller.pruning.enabled needs moemesh.controller.local.*"
                    + " (expert-command, state-dir): pruning scales expert processes to zero, which only local"
                    + " mode does");
        }
        namespace = namespace == null || namespace.isBlank()
                ? LeaderElectionProperties.podNamespace() : namespace;
    }

    PlacementSettings settings() {
        return settings(memoryBudget, perServiceUnits, balanceBound, maxReplicas, minGain, minWindowTokens, dryRun);
    }

    private static PlacementSettings settings(double memoryBudget, int perServiceUnits, double balanceBound,
            int maxReplicas, double minGain, long minWindowTokens, boolean dryRun) {
        try {
            return new PlacementSettings(memoryBudget, perServiceUnits, balanceBound, maxReplicas, minGain,
                    minWindowTokens, dryRun);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("moemesh.controller: " + e.getMessage(), e);
        }
    }
}
