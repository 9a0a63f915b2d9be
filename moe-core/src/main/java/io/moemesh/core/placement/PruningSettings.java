package io.moemesh.core.placement;

/**
 * How {@link PruningPolicy} decides which experts to scale to zero.
 *
 * @param threshold      an expert is cold when its share of routed token-slots is below
 *                       {@code threshold / E} (a fraction of the uniform share; 0.25 = a quarter of 1/E).
 *                       0 prunes nothing
 * @param qualityBudget  the largest share of routed token-slots the pruned set may reroute to
 *                       next-best experts (0.02 = 2%): the pruned experts' shares sum to at most this
 * @param maxPruned      at most this many experts pruned at once; {@link #QUARTER_OF_EXPERTS} means
 *                       E / 4 for the model at hand (see {@link #maxPrunedFor}). The policy also always
 *                       leaves at least top-k experts unpruned, whatever this says
 * @param restoreFactor  hysteresis: a pruned expert is restored once its share rises above
 *                       {@code restoreFactor * threshold / E}; one between the two thresholds stays
 *                       pruned, so an expert near the threshold does not flap. At least 1
 * @param minWindowSlots a window with fewer routed token-slots than this is too thin to judge and
 *                       changes nothing
 */
public record PruningSettings(double threshold, double qualityBudget, int maxPruned, double restoreFactor,
        long minWindowSlots) {

    /** {@link #maxPruned} value meaning "a quarter of the model's experts". */
    public static final int QUARTER_OF_EXPERTS = -1;

    public PruningSettings {
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new IllegalArgumentException("pruning threshold must be in [0, 1] (a fraction of the uniform "
                    + "share 1/E), got " + threshold);
        }
        if (!(qualityBudget >= 0 && qualityBudget <= 1)) {
            throw new IllegalArgumentException("pruning quality budget must be in [0, 1] (a share of routed "
                    + "token-slots, e.g. 0.02 for 2%), got " + qualityBudget);
        }
        if (maxPruned < QUARTER_OF_EXPERTS) {
            throw new IllegalArgumentException("max pruned experts must be >= 0, or " + QUARTER_OF_EXPERTS
                    + " for a quarter of the experts; got " + maxPruned);
        }
        if (!(restoreFactor >= 1) || Double.isInfinite(restoreFactor)) {
            throw new IllegalArgumentException("restore factor must be a finite number >= 1 (restore above "
                    + "restoreFactor x the cold threshold), got " + restoreFactor);
        }
        if (minWindowSlots < 0) {
            throw new IllegalArgumentException("minimum window must be >= 0 token-slots, got " + minWindowSlots);
        }
    }

    /** Threshold 0.25, budget 2%, at most a quarter of the experts, restore factor 2, windows of 2000 slots. */
    public static PruningSettings defaults() {
        return new PruningSettings(0.25, 0.02, QUARTER_OF_EXPERTS, 2, 2000);
    }

    /** {@link #defaults()} with {@code maxPruned} fixed to {@code numExperts / 4}. */
    public static PruningSettings defaults(int numExperts) {
        if (numExperts < 1) {
            throw new IllegalArgumentException("need at least 1 expert, got " + numExperts);
        }
        return defaults().withMaxPruned(numExperts / 4);
    }

    /** The cap on pruned experts for a model of {@code numExperts} experts (before the top-k floor). */
    public int maxPrunedFor(int numExperts) {
        return maxPruned == QUARTER_OF_EXPERTS ? numExperts / 4 : maxPruned;
    }

    public PruningSettings withMaxPruned(int maxPruned) {
        return new PruningSettings(threshold, qualityBudget, maxPruned, restoreFactor, minWindowSlots);
    }

    public PruningSettings withQualityBudget(double qualityBudget) {
        return new PruningSettings(threshold, qualityBudget, maxPruned, restoreFactor, minWindowSlots);
    }
}
