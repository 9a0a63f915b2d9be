package io.moemesh.router.batching;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the scheduler counts about requests that did not end normally. The router publishes these
 * as metrics; the process-level tests read them to prove that a client that leaves costs at most
 * one step's worth of tokens.
 */
public final class SchedulerStats {

    private final LongAdder steps = new LongAdder();
    private final LongAdder completed = new LongAdder();
    private final LongAdder cancelled = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder abandonedStreams = new LongAdder();
    private final LongAdder refusedForKvCache = new LongAdder();
    private final LongAdder tokensAfterCancel = new LongAdder();
    private final LongAdder tokensOfCancelled = new LongAdder();
    private final AtomicLong maxTokensAfterCancel = new AtomicLong();
    private final LongAdder stepNanos = new LongAdder();
    private final LongAdder forwardNanos = new LongAdder();
    private final LongAdder forwardTokens = new LongAdder();
    private final LongAdder generatedTokens = new LongAdder();
    private final LongAdder degradedTokens = new LongAdder();
    private final LongAdder prunedTokenSteps = new LongAdder();

    /** A step with work ended: it took {@code nanos}, its forward pass(es) {@link #forwarded} are counted apart. */
    void stepped(long nanos) {
        steps.increment();
        stepNanos.add(nanos);
    }

    /** A forward pass over {@code tokens} tokens took {@code nanos}. */
    void forwarded(int tokens, long nanos) {
        forwardTokens.add(tokens);
        forwardNanos.add(nanos);
    }

    /** A token was sampled and handed to its request's stream. */
    void generated() {
        generatedTokens.increment();
    }

    /** A forward pass computed {@code tokens} of its tokens with at least one chosen expert routed around. */
    void degraded(int tokens) {
        degradedTokens.add(tokens);
    }

    /** A token at one MoE layer was routed away from one expert pruned by plan. */
    void prunedAway() {
        prunedTokenSteps.increment();
    }

    /** Token-steps (a token at one MoE layer, per pruned expert it wanted) routed away from pruned experts. */
    public long prunedTokenSteps() {
        return prunedTokenSteps.sum();
    }

    /** Tokens sampled and streamed to clients (one per decoding sequence per step). */
    public long generatedTokens() {
        return generatedTokens.sum();
    }

    /**
     * Forward tokens (prompt tokens included) computed while at least one of their chosen experts was
     * unavailable and routed around, each token once however many layers and experts it missed.
     */
    public long degradedTokens() {
        return degradedTokens.sum();
    }

    /** Nanoseconds of the steps counted in {@link #steps}, whole. */
    public long stepNanos() {
        return stepNanos.sum();
    }

    /** Nanoseconds of forward passes: the dense part and the MoE layer steps. */
    public long forwardNanos() {
        return forwardNanos.sum();
    }

    /** Tokens run through forward passes. */
    public long forwardTokens() {
        return forwardTokens.sum();
    }

    void completed() {
        completed.increment();
    }

    /**
     * A request left the batch because its client cancelled: it had generated {@code generated}
     * tokens, the last {@code wastedTokens} of them after the router learnt that its client had gone.
     */
    void cancelled(int generated, int wastedTokens) {
        cancelled.increment();
        tokensOfCancelled.add(generated);
        tokensAfterCancel.add(wastedTokens);
        maxTokensAfterCancel.accumulateAndGet(wastedTokens, Math::max);
    }

    void failed() {
        failed.increment();
    }

    /** A queued request waited too long for the KV cache budget and was refused. */
    void waitedTooLongForKvCache() {
        refusedForKvCache.increment();
    }

    /** A stream ended because its client did not read (see the gRPC sink's backlog limit). */
    public void abandoned() {
        abandonedStreams.increment();
    }

    public long steps() {
        return steps.sum();
    }

    public long completedRequests() {
        return completed.sum();
    }

    public long cancelledRequests() {
        return cancelled.sum();
    }

    public long failedRequests() {
        return failed.sum();
    }

    /** Queued requests refused after waiting {@code max-kv-cache-wait} for the KV cache budget. */
    public long refusedForKvCache() {
        return refusedForKvCache.sum();
    }

    public long abandonedStreams() {
        return abandonedStreams.sum();
    }

    /** Tokens computed for requests whose client had already gone, summed over those requests. */
    public long tokensAfterCancel() {
        return tokensAfterCancel.sum();
    }

    /**
     * Every token generated for requests that were then cancelled; minus the tokens their clients
     * received, it is what clients that left cost, the gateway-to-router propagation included.
     */
    public long tokensOfCancelledRequests() {
        return tokensOfCancelled.sum();
    }

    /** The most tokens one cancelled request received after its client had gone. */
    public long maxTokensAfterCancel() {
        return maxTokensAfterCancel.get();
    }
}
