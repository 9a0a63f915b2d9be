package io.moemesh.core.placement;

/**
 * How a plan would do on given routing statistics.
 *
 * @param remoteCallsPerToken  expected remote expert calls per token per layer, averaged over the
 *                             layers that saw traffic: 2 for top-2 with nothing co-hosted, 1 when every pair is
 * @param bytesPerToken        activation bytes a token sends over all layers: each call sends the
 *                             hidden state and gets one back, in fp32 ({@code calls * 2 * hidden * 4})
 * @param memoryRatio          units hosted over {@code numLayers * numExperts} (one replica each)
 * @param maxMeanLoad          busiest service's token-units over the mean service's
 * @param capturedPairFraction co-hosted share of the pair mass, averaged over layers with pairs;
 *                             compare with {@link CaptureBound}
 */
public record PlanScore(double remoteCallsPerToken, double bytesPerToken, double memoryRatio,
        double maxMeanLoad, double capturedPairFraction) {
}
