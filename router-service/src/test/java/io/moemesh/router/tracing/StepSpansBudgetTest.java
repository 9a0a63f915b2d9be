package io.moemesh.router.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.moemesh.testing.InMemoryTracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Steps that serve sampled requests under a budget of traced steps: how many make spans, what the
 * requests' spans say about the others, and what an untraced step costs.
 */
class StepSpansBudgetTest {

    private static final long MS = 1_000_000L;

    private final InMemoryTracing tracing = new InMemoryTracing("router-service");
    private final AtomicLong now = new AtomicLong();

    @AfterEach
    void close() {
        tracing.close();
    }

    @Test
    void aBurstOfStepsOfSampledRequestsTracesExactlyTheBudget() {
        StepSpans steps = new StepSpans(tracing.tracer(), StepTraceBudget.perSecond(5, now::get));
        List<RequestSpan> batch = List.of(sampledRequest("a"), sampledRequest("b"), sampledRequest("c"));

        assertThat(runSteps(steps, batch, 40)).isEqualTo(5);

        assertThat(tracing.spans().stream().filter(s -> s.getName().equals(StepSpans.NAME))).hasSize(5);
        assertThat(steps.tracedSteps()).isEqualTo(5);
        assertThat(steps.skippedSteps()).isEqualTo(35);
    }

    @Test
    void theBudgetRefillsWithTheClock() {
        StepSpans steps = new StepSpans(tracing.tracer(), StepTraceBudget.perSecond(5, now::get));
        List<RequestSpan> batch = List.of(sampledRequest("a"));
        runSteps(steps, batch, 40);

        now.addAndGet(400 * MS);
        assertThat(runSteps(steps, batch, 40)).as("400 ms at 5/s").isEqualTo(2);
        now.addAndGet(5_000 * MS);
        assertThat(runSteps(steps, batch, 40)).as("a full bucket after a quiet while").isEqualTo(5);
    }

    @Test
    void aZeroBudgetNeverTracesAStep() {
        StepSpans steps = new StepSpans(tracing.tracer(), StepTraceBudget.perSecond(0, now::get));
        List<RequestSpan> batch = List.of(sampledRequest("a"), sampledRequest("b"));

        assertThat(runSteps(steps, batch, 20)).isZero();
        now.addAndGet(60_000 * MS);
        assertThat(runSteps(steps, batch, 20)).isZero();
        assertThat(steps.skippedSteps()).isEqualTo(40);
    }

    @Test
    void noLimitTracesEveryStepOfASampledRequest() {
        StepSpans steps = new StepSpans(tracing.tracer(), StepTraceBudget.perSecond(StepTraceBudget.UNLIMITED, now::get));

        assertThat(runSteps(steps, List.of(sampledRequest("a")), 200)).isEqualTo(200);
        assertThat(steps.skippedSteps()).isZero();
    }

    @Test
    void theRequestSpanCountsItsTracedAndUntracedSteps() {
        StepSpans steps = new StepSpans(tracing.tracer(), StepTraceBudget.perSecond(2, now::get));
        RequestSpan older = sampledRequest("older");
        RequestSpan newer = sampledRequest("newer");
        runSteps(steps, List.of(older), 1); // traced: one step of the two left
        runSteps(steps, List.of(older, RequestSpan.UNSAMPLED, newer), 4); // 1 traced, 3 untraced
        runSteps(steps, List.of(older), 2); // untraced

        older.completed("length", 0);
        newer.completed("length", 0);

        SpanData olderSpan = requestSpan("older");
        assertThat(olderSpan.getAttributes().get(AttributeKey.longKey("moemesh.steps.traced"))).isEqualTo(2);
        assertThat(olderSpan.getAttributes().get(AttributeKey.longKey("moemesh.steps.untraced"))).isEqualTo(5);
        SpanData newerSpan = requestSpan("newer");
        assertThat(newerSpan.getAttributes().get(AttributeKey.longKey("moemesh.steps.traced"))).isEqualTo(1);
        assertThat(newerSpan.getAttributes().get(AttributeKey.longKey("moemesh.steps.untraced"))).isEqualTo(3);
    }

    @Test
    void aRequestEndedWithoutStepsCountsNone() {
        RequestSpan request = sampledRequest("cancelled at once");
        request.cancelled();

        SpanData span = requestSpan("cancelled at once");
        assertThat(span.getAttributes().get(AttributeKey.longKey("moemesh.steps.traced"))).isZero();
        assertThat(span.getAttributes().get(AttributeKey.longKey("moemesh.steps.untraced"))).isZero();
    }

    /** A step of sampled requests that the budget leaves untraced costs no more than a step of unsampled ones. */
    @Test
    void aStepOverTheBudgetAllocatesNothing() {
        StepSpans steps = new StepSpans(tracing.tracer(), StepTraceBudget.perSecond(1, now::get));
        List<RequestSpan> batch = List.of(sampledRequest("a"), RequestSpan.UNSAMPLED, sampledRequest("b"));
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int traced = runSteps(steps, batch, 20_000); // warm up: JIT, the thread-local's entry; traces the first
        long before = threads.getCurrentThreadAllocatedBytes();
        traced += runSteps(steps, batch, 100_000);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(traced).isEqualTo(1);
        assertThat(allocated).as("bytes allocated by 100,000 steps over the budget").isLessThan(1_000);
    }

    /** Runs {@code count} steps over {@code batch}, ending each traced one; returns how many were traced. */
    private static int runSteps(StepSpans steps, List<RequestSpan> batch, int count) {
        int traced = 0;
        for (int i = 0; i < count; i++) {
            StepSpans.Step step = steps.start(batch, Function.identity(), batch.size());
            if (step != null) {
                traced++;
                step.end();
            }
            if (steps.current() != null) {
                traced += 1_000_000; // an untraced step must leave no span current
            }
        }
        return traced;
    }

    private SpanData requestSpan(String id) {
        return tracing.spans().stream().filter(s -> s.getName().equals(RequestSpan.NAME)
                && id.equals(s.getAttributes().get(AttributeKey.stringKey("moemesh.request.id")))).findFirst()
                .orElseThrow();
    }

    private RequestSpan sampledRequest(String id) {
        Span server = tracing.tracer().nextSpan().name("server").start();
        try (Tracer.SpanInScope ignored = tracing.tracer().withSpan(server)) {
            RequestSpan request = RequestSpan.start(tracing.tracer(), id, 5);
            assertThat(request.sampled()).isTrue();
            return request;
        } finally {
            server.end();
        }
    }
}
