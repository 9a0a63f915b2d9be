package io.moemesh.core.placement;

import io.moemesh.core.routing.RoutingStats;
import java.util.Arrays;

/**
 * The incremental planner's working state: a {@link Hosting}, each unit's co-hosted pair mass and
 * each service's load under {@link PlanScorer}'s pair-aware dispatch, kept current as units are
 * added, so that trying an addition costs a few of one service's terms rather than the cluster.
 *
 * <p>Adding (l, j) to service s changes, at layer l only: the copies of j (so the split of j's
 * uncovered tokens over its hosts), the co-host count of each pair (j, k) for k already on s (so
 * the split of that pair's work), and, for pairs co-hosted for the first time, the covered tokens
 * of j and k. Every term of every other service is a weakly falling function of those counts (a
 * pair's work over more co-hosts, fewer uncovered tokens, over more copies), and floating-point
 * sums in a fixed order are monotone in their terms, so no other service's load can rise: the
 * addition fits iff s's own load stays within the limit. {@link #increase} gives s's change
 * directly from those counts; where the estimate lies within rounding reach of the limit, and for
 * every committed load, loads are recomputed from scratch in {@link PlanScorer#loads}' summation
 * order (layer by layer, pair terms then uncovered terms), so committed loads equal its values
 * bit for bit and the balance test decides exactly as a full rescoring would.
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

    double load(int service) {
        return load[service];
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
     * How much s's load would grow by adding (l, j), up to rounding: for each k on s its share of
     * pair (j, k), whole when the pair is new (less what k's own uncovered share then loses), and
     * j's uncovered tokens split over one more copy. Every new pair adds at least its mass (its
     * work 2c, less at most c that k's uncovered share loses), so the increase is at least the new
     * pair mass, and at least j's uncovered share over its copies plus one.
     */
    double increase(int service, int layer, int expert) {
        long[] tokens = stats.expertTokens()[layer];
        long[] cov = covered[layer];
        double sum = 0;
        long fresh = 0;
        for (int k : hosting.expertsOn(service, layer)) {
            long c = stats.coactivation(layer, expert, k);
            int n = hosting.coHosts(layer, expert, k);
            if (n > 0) {
                sum += 2.0 * c / (n + 1);
            } else {
                fresh += c;
                double rest = Math.max(0, tokens[k] - (double) cov[k]);
                double restAfter = Math.max(0, tokens[k] - (double) (cov[k] + c));
                sum += 2.0 * c - (rest - restAfter) / hosting.copies(layer, k);
            }
        }
        double rest = Math.max(0, tokens[expert] - (double) (cov[expert] + fresh));
        return sum + rest / (hosting.copies(layer, expert) + 1);
    }

    /**
     * Whether s's load stays within {@code allowedMax} after adding (l, j), given
     * {@link #increase}: decided from the estimate unless it lies within {@link #RESCORE} of the
     * limit, else by adding, rescoring s exactly and undoing. Assumes committed loads are within it.
     */
    boolean fits(int service, int layer, int expert, double increase, double allowedMax) {
        double estimate = load[service] + increase;
        double slack = RESCORE * allowedMax;
        if (estimate > allowedMax + slack) {
            return false;
        }
        if (estimate < allowedMax - slack) {
            return true;
        }
        cover(service, layer, expert, 1);
        hosting.add(service, layer, expert);
        boolean within = serviceLoad(service) <= allowedMax;
        hosting.remove(service, layer, expert);
        cover(service, layer, expert, -1);
        return within;
    }

    /** Commits the addition and rescores every service it touched; returns them (s included). */
    int[] add(int service, int layer, int expert) {
        collectTouched(service, layer, expert);
        cover(service, layer, expert, 1);
        hosting.add(service, layer, expert);
        for (int t = 0; t < touchedCount; t++) {
            load[touched[t]] = serviceLoad(touched[t]);
        }
        return Arrays.copyOf(touched, touchedCount);
    }

    /** Adds the unit if s's load then stays within {@code allowedMax}; says whether it did. */
    boolean tryAdd(int service, int layer, int expert, double allowedMax) {
        if (hosting.hosts(service, layer, expert)
                || !fits(service, layer, expert, increase(service, layer, expert), allowedMax)) {
            return false;
        }
        add(service, layer, expert);
        return true;
    }

    /**
     * Adds ({@code sign} 1, before the unit is hosted) or takes back ({@code -1}, after it is
     * removed again) the cover of the pairs (j, k), k on s, that nobody co-hosts.
     */
    private void cover(int service, int layer, int expert, int sign) {
        for (int k : hosting.expertsOn(service, layer)) {
            if (hosting.coHosts(layer, expert, k) == 0) {
                long c = sign * stats.coactivation(layer, expert, k);
                covered[layer][expert] += c;
                covered[layer][k] += c;
            }
        }
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
                }
                touched[touchedCount++] = s;
            }
        }
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
