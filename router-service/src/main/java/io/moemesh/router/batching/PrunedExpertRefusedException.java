package io.moemesh.router.batching;

/**
 * A request that asked to refuse pruned experts ({@code refuse_pruned_experts}) had a token whose gate
 * chose an expert the placement controller has pruned: the request ends with this instead of being
 * served by the next-best expert.
 */
public final class PrunedExpertRefusedException extends RuntimeException {

    private final int layer;
    private final int expert;

    public PrunedExpertRefusedException(int layer, int expert) {
        super("a token of this request was routed to MoE layer " + layer + " expert " + expert + ", which the"
                + " placement controller has pruned (scaled to zero for low traffic); the request asked to refuse"
                + " pruned experts (refuse_pruned_experts). Retry without refuse_pruned_experts to be served by the"
                + " next-best expert, or retry once the expert is restored");
        this.layer = layer;
        this.expert = expert;
    }

    public int layer() {
        return layer;
    }

    public int expert() {
        return expert;
    }
}
