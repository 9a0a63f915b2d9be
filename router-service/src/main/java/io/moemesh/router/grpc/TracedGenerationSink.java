package io.moemesh.router.grpc;

import io.micrometer.tracing.Tracer;
import io.moemesh.core.engine.Generation;
import io.moemesh.core.engine.TokenLogprobs;
import io.moemesh.router.batching.GenerationSink;
import io.moemesh.router.batching.ReroutedExpert;
import io.moemesh.router.tracing.RequestSpan;
import java.util.List;
import java.util.Locale;

/**
 * A request's sink with its span: counts the tokens it streams, and ends the span with how the
 * request ended (finish reason, degraded) or failed, or when its client has left. Only sampled
 * requests are wrapped; the others keep their sink as it is.
 */
final class TracedGenerationSink implements GenerationSink {

    private final GenerationSink delegate;
    private final RequestSpan span;

    private TracedGenerationSink(GenerationSink delegate, RequestSpan span) {
        this.delegate = delegate;
        this.span = span;
    }

    static GenerationSink of(GenerationSink sink, RequestSpan span) {
        return span.sampled() ? new TracedGenerationSink(sink, span) : sink;
    }

    @Override
    public void onToken(int tokenId, String text, TokenLogprobs logprobs) {
        span.generated();
        delegate.onToken(tokenId, text, logprobs);
    }

    @Override
    public void onComplete(Generation generation, List<ReroutedExpert> skipped) {
        onComplete(generation, skipped, List.of());
    }

    @Override
    public void onComplete(Generation generation, List<ReroutedExpert> skipped, List<ReroutedExpert> pruned) {
        try (Tracer.SpanInScope inTrace = span.inScope()) {
            delegate.onComplete(generation, skipped, pruned);
        } finally {
            span.completed(generation.finishReason().name().toLowerCase(Locale.ROOT),
                    skipped.stream().mapToInt(ReroutedExpert::tokens).sum(),
                    pruned.stream().mapToInt(ReroutedExpert::tokens).sum());
        }
    }

    @Override
    public void onError(Throwable error) {
        try (Tracer.SpanInScope inTrace = span.inScope()) {
            delegate.onError(error);
        } finally {
            span.failed(error);
        }
    }

    @Override
    public boolean isCancelled() {
        boolean cancelled = delegate.isCancelled();
        if (cancelled) {
            span.cancelled(); // the scheduler drops the request without completing it
        }
        return cancelled;
    }

    @Override
    public RequestSpan span() {
        return span;
    }
}
