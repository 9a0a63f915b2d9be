package io.moemesh.router.tracing;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;

/**
 * One request's span in the router ({@code moemesh.request}): from the moment it is submitted to the
 * batch until it completes, fails or its client leaves. A request is traced only inside a sampled
 * trace its caller started (the gateway's, over {@code traceparent}); every other request shares
 * {@link #UNSAMPLED}, which records nothing and costs nothing. Used by the request's gRPC thread
 * until it is submitted, then by the scheduler thread (and by the ping-pong partner thread during the
 * half of a step that holds the request, which the scheduler waits for).
 *
 * <p>The span counts the forward steps the request took part in: {@code moemesh.steps.traced} (the
 * step has a span, in this trace or linked to it) and {@code moemesh.steps.untraced} (the step budget,
 * {@link StepTraceBudget}, left it without spans), so a reader knows which steps are missing on purpose.
 */
public final class RequestSpan {

    /** Attribute names, also read by the docs (docs/observability.md#tracing). */
    public static final String NAME = "moemesh.request";
    static final String REQUEST_ID = "moemesh.request.id";
    static final String PROMPT_TOKENS = "moemesh.prompt.tokens";
    static final String GENERATED_TOKENS = "moemesh.generated.tokens";
    static final String FINISH_REASON = "moemesh.finish.reason";
    static final String DEGRADED = "moemesh.degraded";
    static final String SKIPPED_TOKENS = "moemesh.skipped.tokens";
    static final String PRUNED_TOKENS = "moemesh.pruned.tokens";
    static final String STEPS_TRACED = "moemesh.steps.traced";
    static final String STEPS_UNTRACED = "moemesh.steps.untraced";

    public static final RequestSpan UNSAMPLED = new RequestSpan(null, null);

    private final Tracer tracer;
    private final Span span;
    private int generated;
    private int stepsTraced;
    private int stepsUntraced;
    private boolean ended;

    private RequestSpan(Tracer tracer, Span span) {
        this.tracer = tracer;
        this.span = span;
    }

    /**
     * Starts the span of a request as a child of the current span (the router's server span of the
     * call); {@link #UNSAMPLED} when there is none or it is not sampled.
     */
    public static RequestSpan start(Tracer tracer, String requestId, int promptTokens) {
        Span parent = tracer.currentSpan();
        if (parent == null || parent.isNoop()) {
            return UNSAMPLED;
        }
        Span span = tracer.nextSpan(parent).name(NAME);
        if (span.isNoop()) {
            return UNSAMPLED;
        }
        span.tag(REQUEST_ID, requestId).tag(PROMPT_TOKENS, promptTokens).start();
        return new RequestSpan(tracer, span);
    }

    public boolean sampled() {
        return span != null;
    }

    /** The span, for the steps the request takes part in; null when {@link #UNSAMPLED}. */
    Span span() {
        return span;
    }

    /** Makes the span current on this thread (log lines carry its trace id); null when unsampled. */
    public Tracer.SpanInScope inScope() {
        return span == null ? null : tracer.withSpan(span);
    }

    public void generated() {
        if (span != null) {
            generated++;
        }
    }

    /**
     * The request took part in a traced step: its {@code moemesh.step} span is in this trace or in an
     * older request's, linked to this one. Called by the thread running the step; ends on the
     * scheduler's thread, which waits for every step.
     */
    void stepTraced() {
        if (span != null) {
            stepsTraced++;
        }
    }

    /** The request took part in a step that the step budget left untraced: the trace has no span of it. */
    void stepUntraced() {
        if (span != null) {
            stepsUntraced++;
        }
    }

    /**
     * The request finished; {@code skippedTokens} (token routes sent around an unavailable expert)
     * above 0 means its result is degraded.
     */
    public void completed(String finishReason, int skippedTokens) {
        completed(finishReason, skippedTokens, 0);
    }

    /**
     * As {@link #completed(String, int)}; {@code prunedTokens} (token routes sent around an expert pruned by
     * plan) does not make the result degraded.
     */
    public void completed(String finishReason, int skippedTokens, int prunedTokens) {
        if (span != null) {
            span.tag(PRUNED_TOKENS, prunedTokens);
            span.tag(FINISH_REASON, finishReason).tag(DEGRADED, skippedTokens > 0)
                    .tag(SKIPPED_TOKENS, skippedTokens);
            end();
        }
    }

    public void failed(Throwable error) {
        if (span != null) {
            span.tag(FINISH_REASON, "error").error(error);
            end();
        }
    }

    /** The client left (cancelled, deadline passed) before the request finished. */
    public void cancelled() {
        if (span != null) {
            span.tag(FINISH_REASON, "cancelled");
            end();
        }
    }

    private void end() {
        if (!ended) {
            ended = true;
            span.tag(GENERATED_TOKENS, generated).tag(STEPS_TRACED, stepsTraced).tag(STEPS_UNTRACED, stepsUntraced)
                    .end();
        }
    }
}
