package io.moemesh.placement.local;

import io.moemesh.core.placement.Unit;
import io.moemesh.placement.round.EndpointView;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;

/**
 * Pruning an expert stops every process of its service, including the partner units those
 * processes host for other experts. An expert may be newly pruned only if each such partner unit
 * is also hosted by an endpoint of another service that stays up, or belongs to an expert that is
 * itself pruned (no token goes to it). Otherwise it is refused for this round; the placement round
 * that runs first re-places partners as the statistics say, and a later round may prune it. This is
 * the simplest rule that never leaves a unit without a host.
 */
final class PartnerGuard {

    private PartnerGuard() {
    }

    /**
     * Removes from {@code pruned} every expert of {@code newlyPruned} that would take the last host of
     * a partner unit with it, repeating until nothing changes (refusing one expert can uncover a unit
     * of its own that another candidate relied on being pruned); returns why each was refused.
     *
     * @param pruned      the set to install, modified in place
     * @param newlyPruned experts in it that are not pruned now
     * @param views       the endpoints as a router routes by them
     */
    static Map<Integer, String> refuse(SortedSet<Integer> pruned, SortedSet<Integer> newlyPruned,
            List<EndpointView> views) {
        Map<Integer, String> refused = new TreeMap<>();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int e : newlyPruned) {
                if (!pruned.contains(e)) {
                    continue;
                }
                String why = uncovered(e, pruned, views);
                if (why != null) {
                    pruned.remove(e);
                    refused.put(e, why);
                    changed = true;
                }
            }
        }
        return refused;
    }

    private static String uncovered(int expert, SortedSet<Integer> pruned, List<EndpointView> views) {
        for (EndpointView v : views) {
            if (v.service().isEmpty() || v.service().getAsInt() != expert) {
                continue;
            }
            for (Unit u : v.partners()) {
                if (!pruned.contains(u.expert()) && !hostedByAnUnprunedService(u, expert, pruned, views)) {
                    return "its endpoint " + v.target() + " is the only host of partner unit (layer " + u.layer()
                            + ", expert " + u.expert() + ")";
                }
            }
        }
        return null;
    }

    private static boolean hostedByAnUnprunedService(Unit u, int expert, SortedSet<Integer> pruned,
            List<EndpointView> views) {
        for (EndpointView v : views) {
            if (v.service().isPresent() && v.service().getAsInt() != expert
                    && !pruned.contains(v.service().getAsInt()) && v.hosted().contains(u)) {
                return true;
            }
        }
        return false;
    }
}
