package io.moemesh.router.health;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.moemesh.router.tracing.StepSpans;

/**
 * How many forward steps that served a sampled request were traced, and how many the step budget
 * ({@code moemesh.router.traced-steps-per-second}) left untraced: a reader of traces sees from the
 * second why most steps have no spans, an operator sees what a higher budget would trace.
 */
public final class StepTraceMetrics implements MeterBinder {

    private final StepSpans steps;

    public StepTraceMetrics(StepSpans steps) {
        this.steps = steps;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("moemesh.router.trace.steps.traced", steps, StepSpans::tracedSteps)
                .description("forward steps that served a sampled request and were traced").register(registry);
        FunctionCounter.builder("moemesh.router.trace.steps.skipped", steps, StepSpans::skippedSteps)
                .description("forward steps that served a sampled request but were not traced: the budget"
                        + " moemesh.router.traced-steps-per-second was spent").register(registry);
    }
}
