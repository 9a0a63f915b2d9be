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
 * @param logprobs       with {@link GenerateOptions#logprobs()}: every chunk's {@link TextChunk#logprobs()} in
 *                       order, one per generated token except the EOS token that ends an EOS-finished
 *                       generation (it is not part of the text); empty when not asked for
 */
public record GenerationResult(
        String text,
        List<Integer> tokenIds,
        FinishReason finishReason,
        TokenUsage usage,
        boolean degraded,
        List<SkippedExpert> skippedExperts,
        String requestId,
        List<SkippedExpert> prunedExperts,
        List<TokenLogprob> logprobs) {

    public GenerationResult {
        tokenIds = List.copyOf(tokenIds);
        skippedExperts = List.copyOf(skippedExperts);
        prunedExperts = List.copyOf(prunedExperts);
        logprobs = List.copyOf(logprobs);
    }

    /** A result without log probabilities. */
    public GenerationResult(String text, List<Integer> tokenIds, FinishReason finishReason, TokenUsage usage,
            boolean degraded, List<SkippedExpert> skippedExperts, String requestId, List<SkippedExpert> prunedExperts) {
        this(text, tokenIds, finishReason, usage, degraded, skippedExperts, requestId, prunedExperts, List.of());
    }
}
