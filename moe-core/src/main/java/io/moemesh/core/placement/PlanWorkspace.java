package io.moemesh.core.placement;

import io.moemesh.core.routing.RoutingStats;
import java.util.Arrays;

/**
 * The incremental planner's working state: a {@link Hosting}, each unit's co-hosted pair mass and
 * each service's load under {@link PlanScorer}'s pair-aware dispatch, kept current as units are
 * added, so that trying an addition costs the services it touches rather than the whole cluster.
 *
 * <p>Adding (l, j) to service s changes, at layer l only: the copies of j (so the split of j's
 * uncovered tokens over its hosts), the co-host count of each pair (j, k) for k already on s (so
 * the split of that pair's work), and, for pairs co-hosted for the first time, the covered tokens
 * of j and k. Every service whose load can move therefore hosts (l, j) or some (l, k) with k on s.
 * A trial estimates their loads as the committed load plus the change of that one layer's terms;
 * where the estimate lies within rounding reach of the limit, and for every committed load, they
 * are recomputed from scratch in {@link PlanScorer#loads}' summation order (layer by layer, pair
 * terms then uncovered terms), so committed loads equal its values bit for bit and the balance
 * test decides exactly as a full rescoring would.
 */
final class PlanWorkspace {

    /** Relative distance from the limit within which a trial's estimated load is rescored exactly. */
    private static final double RESCORE = 1e-9;

    private final RoutingStats stats;
    private final Hosting hosting;
    private final long[][] covered;  // [layer][expert]: tokens of the expert's co-hosted pairs
    private final double[] load;     // [service], committed state
    private final int[] stamp;       // [service], dedupes the touched set
    private int round;
    private int[] touched = new int[16];
    private double[] touchedLoad = new double[16];
    private int touchedCount;

    PlanWorkspace(RoutingStats stats, Hosting hosting) {
        this.stats = stats;
        this.hosting = hosting;
        this.covered = new long[stats.numLayers()][stats.numExperts()];
        this.load = PlanScorer.loads(hosting, stats);
        this.stamp = new int[hosting.services()];
        for (int l = 0; l < stats.numLayers(); l++) {
            int[][] coHosted = hosting.coHostCounts(l);
            for (int i = 0; i < stats.numExperts(); i++) {
                for (int j = i + 1; j < stats.numExperts(); j++) {
                    if (coHosted[i][j] > 0) {
                        covered[l][i] += stats.coactivation(l, i, j);
                        covered[l][j] += stats.coactivation(l, i, j);
                    }
                }
            }
        }
    }

    Hosting hosting() {
        return hosting;
    }

    double[] loads() {
        return load.clone();
    }

    /**
     * Pair mass adding (l, j) to s would co-host for the first time: pairs (j, k), k on s, that no
     * service co-hosts yet. A sum of counts, so exact whatever the order.
     */
    long newPairMass(int service, int layer, int expert) {
        long mass = 0;
        for (int k : hosting.expertsOn(service, layer)) {
            if (hosting.coHosts(layer, expert, k) == 0) {
                mass += stats.coactivation(layer, expert, k);
            }
        }
        return mass;
    }

    /**
     * Adds the unit if no service's load would then exceed {@code allowedMax}, and says whether it
     * did; otherwise leaves everything as it was. Assumes the committed loads are all within it.
     */
    boolean tryAdd(int service, int layer, int expert, double allowedMax) {
        collectTouched(service, layer, expert);
        double[] before = new double[touchedCount];
        for (int t = 0; t < touchedCount; t++) {
            before[t] = addLayerTerms(0, touched[t], layer);
        }
        int[] partners = hosting.expertsOn(service, layer);
        long[] firstTime = new long[partners.length];
        for (int p = 0; p < partners.length; p++) {
            int k = partners[p];
            if (hosting.coHosts(layer, expert, k) == 0) {
                firstTime[p] = stats.coactivation(layer, expert, k);
                covered[layer][expert] += firstTime[p];
                covered[layer][k] += firstTime[p];
            }
        }
        hosting.add(service, layer, expert);
        boolean within = true;
        for (int t = 0; t < touchedCount; t++) {
            // Only layer l moves: the committed load plus the layer's change, up to rounding.
            // Within RESCORE of the limit that estimate could decide wrongly, so rescore exactly.
            double estimate = load[touched[t]] + addLayerTerms(0, touched[t], layer) - before[t];
            boolean near = Math.abs(estimate - allowedMax) <= RESCORE * allowedMax;
            touchedLoad[t] = near ? serviceLoad(touched[t]) : estimate;
            within &= touchedLoad[t] <= allowedMax;
        }
        if (within) {
            for (int t = 0; t < touchedCount; t++) {
                load[touched[t]] = serviceLoad(touched[t]);
            }
            return true;
        }
        hosting.remove(service, layer, expert);
        for (int p = 0; p < partners.length; p++) {
            covered[layer][expert] -= firstTime[p];
            covered[layer][partners[p]] -= firstTime[p];
        }
        return false;
    }

    /** Every service whose load the addition can move: the hosts of (l, j) and of each (l, k), k on s. */
    private void collectTouched(int service, int layer, int expert) {
        round++;
        touchedCount = 0;
        int[] on = hosting.expertsOn(service, layer);
        for (int i = 0; i <= on.length; i++) {
            for (int s : hosting.hostsOf(layer, i < on.length ? on[i] : expert)) {
                if (stamp[s] == round) {
                    continue;
                }
                stamp[s] = round;
                if (touchedCount == touched.length) {
                    touched = Arrays.copyOf(touched, 2 * touchedCount);
                    touchedLoad = Arrays.copyOf(touchedLoad, 2 * touchedCount);
                }
                touched[touchedCount++] = s;
            }
        }
    }

    /** Services whose load the last {@link #tryAdd} rescored, taken or not. */
    int[] lastTouched() {
        return Arrays.copyOf(touched, touchedCount);
    }

    /** After a refused {@link #tryAdd}: the first service it would have pushed past the limit. */
    int lastViolator(double allowedMax) {
        for (int t = 0; t < touchedCount; t++) {
            if (touchedLoad[t] > allowedMax) {
                return t;
            }
        }
        throw new IllegalStateException("the last addition was not refused");
    }

    int touchedService(int index) {
        return touched[index];
    }

    /** What the refused addition would have added to that service's committed load. */
    double lastExcess(int index) {
        return touchedLoad[index] - load[touched[index]];
    }

    double load(int service) {
        return load[service];
    }

    /** One service's load, term by term in the order {@link PlanScorer#loads} adds them. */
    double serviceLoad(int service) {
        double sum = 0;
        for (int l = 0; l < hosting.layers(); l++) {
            sum = addLayerTerms(sum, service, l);
        }
        return sum;
    }

    private double addLayerTerms(double sum, int service, int layer) {
        int[] on = hosting.expertsOn(service, layer);
        for (int a = 0; a < on.length; a++) {
            for (int b = a + 1; b < on.length; b++) {
                sum += 2.0 * stats.coactivation(layer, on[a], on[b]) / hosting.coHosts(layer, on[a], on[b]);
            }
        }
        for (int e : on) {
            double rest = Math.max(0, stats.expertTokens()[layer][e] - (double) covered[layer][e]);
            sum += rest / hosting.copies(layer, e);
        }
        return sum;
    }
}
