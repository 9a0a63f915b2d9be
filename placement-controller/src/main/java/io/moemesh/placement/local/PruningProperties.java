package io.moemesh.placement.local;

import io.moemesh.core.placement.PruningSettings;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code moemesh.controller.pruning.*}: scaling cold experts to zero in local mode (needs
 * {@code moemesh.controller.local.*}). See {@link PruningSettings} for what each value means.
 *
 * @param enabled        prune; off (the default) also restores any expert the controller pruned
 * @param threshold      cold below this fraction of the uniform share 1/E
 * @param qualityBudget  largest share of routed token-slots the pruned set may reroute
 * @param maxPruned      most experts pruned at once; -1 = a quarter of the experts
 * @param restoreFactor  restore above restoreFactor x threshold (hysteresis)
 * @param minWindowSlots token-slots a window needs before pruning changes anything
 */
public record PruningProperties(
        @DefaultValue("false") boolean enabled,
        @DefaultValue("0.25") double threshold,
        @DefaultValue("0.02") double qualityBudget,
        @DefaultValue("-1") int maxPruned,
        @DefaultValue("2") double restoreFactor,
        @DefaultValue("2000") long minWindowSlots) {

    public PruningProperties {
        settings(threshold, qualityBudget, maxPruned, restoreFactor, minWindowSlots);
    }

    public static PruningProperties off() {
        return new PruningProperties(false, 0.25, 0.02, -1, 2, 2000);
    }

    public PruningSettings settings() {
        return settings(threshold, qualityBudget, maxPruned, restoreFactor, minWindowSlots);
    }

    private static PruningSettings settings(double threshold, double qualityBudget, int maxPruned,
            double restoreFactor, long minWindowSlots) {
        try {
            return new PruningSettings(threshold, qualityBudget, maxPruned, restoreFactor, minWindowSlots);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("moemesh.controller.pruning: " + e.getMessage(), e);
        }
    }
}
