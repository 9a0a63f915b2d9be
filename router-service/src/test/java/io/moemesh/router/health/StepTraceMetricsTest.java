package io.moemesh.router.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.moemesh.router.tracing.RequestSpan;
import io.moemesh.router.tracing.StepSpans;
import io.moemesh.router.tracing.StepTraceBudget;
import io.moemesh.testing.InMemoryTracing;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The step budget's counters as meters: traced steps, and steps of sampled requests it left untraced. */
class StepTraceMetricsTest {

    @Test
    void countsTracedAndSkippedStepsOfSampledRequests() {
        try (InMemoryTracing tracing = new InMemoryTracing("router-service")) {
            StepSpans steps = new StepSpans(tracing.tracer(), StepTraceBudget.perSecond(2, () -> 0));
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new StepTraceMetrics(steps).bindTo(registry);
            List<RequestSpan> sampled = List.of(sampledRequest(tracing.tracer()));
            List<RequestSpan> unsampled = List.of(RequestSpan.UNSAMPLED);

            for (int i = 0; i < 5; i++) {
                StepSpans.Step step = steps.start(sampled, Function.identity(), 1);
                if (step != null) {
                    step.end();
                }
                assertThat(steps.start(unsampled, Function.identity(), 1)).isNull();
            }

            assertThat(count(registry, "moemesh.router.trace.steps.traced")).isEqualTo(2);
            assertThat(count(registry, "moemesh.router.trace.steps.skipped")).as("unsampled steps are not counted")
                    .isEqualTo(3);
        }
    }

    private static double count(SimpleMeterRegistry registry, String name) {
        return registry.get(name).functionCounter().count();
    }

    private static RequestSpan sampledRequest(Tracer tracer) {
        Span server = tracer.nextSpan().name("server").start();
        try (Tracer.SpanInScope ignored = tracer.withSpan(server)) {
            return RequestSpan.start(tracer, "r", 1);
        } finally {
            server.end();
        }
    }
}
