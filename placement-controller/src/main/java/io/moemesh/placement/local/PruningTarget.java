package io.moemesh.placement.local;

import io.moemesh.core.placement.PruningPlan;
import io.moemesh.core.placement.PruningPolicy;
import io.moemesh.core.placement.Unit;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.round.EndpointView;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The pruned set a local step converges to: the pruning policy's plan on the window, less every
 * expert the partner rule refuses ({@link PartnerGuard}). With pruning on but no traffic to judge
 * by, the routers' set stays; with pruning off, every pruned expert is restored.
 *
 * @param now     experts with a pruned unit on any router: the union, so a router that missed a
 *                change converges
 * @param plan    the policy's plan, null when pruning is off or the window routed nothing
 * @param target  the set to install
 * @param refused why each expert the policy would prune was kept
 */
record PruningTarget(SortedSet<Integer> now, PruningPlan plan, SortedSet<Integer> target,
        Map<Integer, String> refused) {

    static PruningTarget of(RoutingStats stats, List<SortedSet<Unit>> routerSets, List<EndpointView> views,
            LocalScaling.Settings settings) {
        SortedSet<Integer> now = new TreeSet<>();
        routerSets.forEach(s -> s.forEach(u -> now.add(u.expert())));
        PruningPlan plan = settings.pruning() && stats.topK() > 0
                ? PruningPolicy.plan(stats.expertTokens(), stats.topK(), now, settings.pruningSettings())
                : null;
        SortedSet<Integer> target = plan == null ? new TreeSet<>() : new TreeSet<>(plan.pruned());
        if (plan == null && settings.pruning()) {
            target.addAll(now); // no traffic to judge by: keep the level
        }
        SortedSet<Integer> newly = new TreeSet<>(target);
        newly.removeAll(now);
        return new PruningTarget(now, plan, target, PartnerGuard.refuse(target, newly, views));
    }

    /** The policy's sentence plus the experts the partner rule kept; "" when pruning is off. */
    String decision() {
        if (plan == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(plan.decision());
        refused.forEach((e, why) -> b.append("; expert ").append(e).append(" not pruned: ").append(why));
        return b.toString();
    }

    /** Per expert, its share of the window's routed token-slots (empty without a plan). */
    double[] shares() {
        return plan == null ? new double[0] : plan.shares();
    }
}
