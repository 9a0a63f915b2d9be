package io.moemesh.router.batching;

import io.moemesh.core.engine.Generation;
import io.moemesh.core.engine.TokenLogprobs;
import io.moemesh.router.tracing.RequestSpan;
import java.util.List;

/** Where one request's output goes, called from the scheduler thread. */
public interface GenerationSink {

    /**
     * A generated token and the text that became final with it (possibly empty); {@code logprobs} is null
     * unless the request asked for them, and for the EOS token that ends a sequence.
     */
    void onToken(int tokenId, String text, TokenLogprobs logprobs);

    /** The request finished; {@code skipped} is empty unless the result is degraded. */
    void onComplete(Generation generation, List<ReroutedExpert> skipped);

    /**
     * The request finished; {@code pruned} lists the experts pruned by plan that some of its tokens were
     * routed away from (planned, so not degraded). By default the pruned experts are not reported.
     */
    default void onComplete(Generation generation, List<ReroutedExpert> skipped, List<ReroutedExpert> pruned) {
        onComplete(generation, skipped);
    }

    void onError(Throwable error);

    /** A cancelled request (client gone, deadline passed) leaves the batch before the next step. */
    default boolean isCancelled() {
        return false;
    }

    /** The request's span in a sampled trace; {@link RequestSpan#UNSAMPLED} by default. */
    default RequestSpan span() {
        return RequestSpan.UNSAMPLED;
    }
}
