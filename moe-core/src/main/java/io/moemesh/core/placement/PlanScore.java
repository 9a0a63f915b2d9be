package io.moemesh.core.placement;

/**
 * How a plan would do on given routing statistics.
 *
 * @param remoteCallsPerToken  expected remote expert calls per token per layer, averaged over the
 *                             layers that saw traffic: 2 for top-2 with nothing co-hosted, 1 when every pair is;
 *                             k for top-k with nothing co-hosted ({@link #callModel} says how it was counted)
 * @param bytesPerToken        activation bytes a token sends over all layers: each call sends the
 *                             hidden state and gets one back, in fp32 ({@code calls * 2 * hidden * 4})
 * @param memoryRatio          units hosted over {@code numLayers * numExperts} (one replica each)
 * @param maxMeanLoad          busiest service's token-units over the mean service's
 * @param capturedPairFraction co-hosted share of the pair mass, averaged over layers with pairs;
 *                             compare with {@link CaptureBound}
 * @param callModel            what the calls were counted from
 * @param listedTokenFraction  with {@link CallModel#EXPERT_SETS}, the share of tokens whose expert
 *                             set the statistics list, which stand for the rest; 1 otherwise
 */
public record PlanScore(double remoteCallsPerToken, double bytesPerToken, double memoryRatio,
        double maxMeanLoad, double capturedPairFraction, CallModel callModel, double listedTokenFraction) {

    /** A score counted from pairs (top-2). */
    public PlanScore(double remoteCallsPerToken, double bytesPerToken, double memoryRatio, double maxMeanLoad,
            double capturedPairFraction) {
        this(remoteCallsPerToken, bytesPerToken, memoryRatio, maxMeanLoad, capturedPairFraction, CallModel.PAIRS, 1);
    }

    /** Where {@link #remoteCallsPerToken} comes from. */
    public enum CallModel {
        /** Top-1 or top-2: a token costs one call if its pair is co-hosted, else two. Exact. */
        PAIRS("pairs (exact for top-2)"),
        /**
         * Top-k > 2 with expert sets: each listed set costs its greedy cover ({@link GreedyCover});
         * a layer's calls per token are its listed tokens' mean (they stand for the unlisted ones;
         * a layer with none listed counts k).
         */
        EXPERT_SETS("expert sets (greedy cover)"),
        /**
         * Top-k > 2 without expert sets (a router that does not record them): an estimate,
         * {@code k - (k - 1) * captured pair fraction} per layer, which is exact for k = 2 and
         * neither bound for k > 2.
         */
        PAIR_ESTIMATE("pair estimate (no expert sets recorded)");

        private final String label;

        CallModel(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }
}
