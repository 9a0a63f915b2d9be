package io.moemesh.core.placement;

import io.moemesh.core.routing.RoutingStats;
import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Plans to measure {@link CoactivationPlanner} against, all scored by {@link PlanScorer}: no
 * co-location, random co-location with the same memory, and EPLB-style load-only replication
 * (DeepSeek EPLB, {@code eplb.py}: replicate the expert with the highest load per replica).
 */
public final class PlacementBaselines {

    private PlacementBaselines() {
    }

    /** The default topology: service s hosts expert s of every layer and nothing else. */
    public static PlacementPlan oneServicePerExpert(RoutingStats stats, ClusterShape shape) {
        CoactivationPlanner.checkShape(stats, shape);
        Hosting hosting = Hosting.homes(shape.numLayers(), shape.numExperts());
        return PlacementPlan.of(hosting, PlanScorer.loads(hosting, stats), shape);
    }

    /**
     * Adds {@code extraUnits} partner units (capped by the budget) at uniformly random
     * (service, layer, expert) positions that are new and within the per-service cap.
     */
    public static PlacementPlan randomCoLocation(RoutingStats stats, ClusterShape shape, int extraUnits,
            RandomGenerator random) {
        CoactivationPlanner.checkShape(stats, shape);
        int layers = shape.numLayers();
        int experts = shape.numExperts();
        Hosting hosting = Hosting.homes(layers, experts);
        int target = Math.min(extraUnits, shape.extraUnits());
        int room = experts * (shape.perServiceUnitCap() - layers);
        int free = experts * layers * (experts - 1);
        for (int added = 0; added < Math.min(target, Math.min(room, free)); ) {
            int s = random.nextInt(experts);
            int l = random.nextInt(layers);
            int e = random.nextInt(experts);
            if (!hosting.hosts(s, l, e) && hosting.unitCount(s) < shape.perServiceUnitCap()) {
                hosting.add(s, l, e);
                added++;
            }
        }
        return PlacementPlan.of(hosting, PlanScorer.loads(hosting, stats), shape);
    }

    /**
     * Spends the budget on replicas for load alone: each extra unit copies the unit with the
     * highest tokens per replica onto the least-loaded service that has room and lacks it. Load
     * here is the load-only view (each unit's tokens split over its replicas), as in EPLB; ties go
     * to the lowest index.
     */
    public static PlacementPlan loadOnlyReplication(RoutingStats stats, ClusterShape shape) {
        CoactivationPlanner.checkShape(stats, shape);
        int layers = shape.numLayers();
        int experts = shape.numExperts();
        Hosting hosting = Hosting.homes(layers, experts);
        int[][] copies = new int[layers][experts];
        for (int[] row : copies) {
            Arrays.fill(row, 1);
        }
        boolean[][] full = new boolean[layers][experts]; // no service can take another copy
        for (int added = 0; added < shape.extraUnits(); ) {
            int bestL = -1;
            int bestE = -1;
            double best = -1;
            for (int l = 0; l < layers; l++) {
                for (int e = 0; e < experts; e++) {
                    double perReplica = stats.expertTokens()[l][e] / (double) copies[l][e];
                    if (!full[l][e] && perReplica > best) {
                        best = perReplica;
                        bestL = l;
                        bestE = e;
                    }
                }
            }
            if (bestL < 0) {
                break;
            }
            int target = leastLoadedWithRoom(hosting, stats, copies, shape, bestL, bestE);
            if (target < 0) {
                full[bestL][bestE] = true;
                continue;
            }
            hosting.add(target, bestL, bestE);
            copies[bestL][bestE]++;
            added++;
        }
        return PlacementPlan.of(hosting, PlanScorer.loads(hosting, stats), shape);
    }

    private static int leastLoadedWithRoom(Hosting hosting, RoutingStats stats, int[][] copies,
            ClusterShape shape, int layer, int expert) {
        int best = -1;
        double bestLoad = Double.POSITIVE_INFINITY;
        for (int s = 0; s < hosting.services(); s++) {
            if (hosting.hosts(s, layer, expert) || hosting.unitCount(s) >= shape.perServiceUnitCap()) {
                continue;
            }
            double load = 0; // the units the service hosts, in (layer, expert) order
            for (int l = 0; l < shape.numLayers(); l++) {
                for (int e : hosting.expertsOn(s, l)) {
                    load += stats.expertTokens()[l][e] / (double) copies[l][e];
                }
            }
            if (load < bestLoad) {
                bestLoad = load;
                best = s;
            }
        }
        return best;
    }
}
