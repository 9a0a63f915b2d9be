package io.moemesh.client;

import java.util.List;

/**
 * A finished generation: everything the server streamed, put together.
 *
 * @param text           the generated text (the prompt is not repeated)
 * @param tokenIds       the generated token ids, in order
 * @param finishReason   why generation stopped
 * @param usage          token counts and server timings
 * @param degraded       true when some tokens were routed away from an unavailable expert: the
 *                       text may differ from what a fully healthy deployment would produce
 * @param skippedExperts the experts that were routed around when {@code degraded}
 * @param requestId      the request id the server used (the caller's, or one it generated)
 * @param prunedExperts  the experts the placement controller pruned (scaled to zero for low traffic) that
 *                       some tokens wanted: they went to the next-best expert by plan, which does not
 *                       make the result {@code degraded}
 */
public record GenerationResult(
        String text,
        List<Integer> tokenIds,
        FinishReason finishReason,
        TokenUsage usage,
        boolean degraded,
        List<SkippedExpert> skippedExperts,
        String requestId,
        List<SkippedExpert> prunedExperts) {

    public GenerationResult {
        tokenIds = List.copyOf(tokenIds);
        skippedExperts = List.copyOf(skippedExperts);
        prunedExperts = List.copyOf(prunedExperts);
    }
}
