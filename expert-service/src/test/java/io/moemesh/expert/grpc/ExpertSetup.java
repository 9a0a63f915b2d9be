package io.moemesh.expert.grpc;

import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.expert.batching.BatchingPolicy;
import io.moemesh.expert.batching.ExpertFfnRunner;
import io.moemesh.expert.batching.FfnRunner;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.expert.unit.UnitPlacement;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * What a test may replace in the production wiring of {@link InProcessExpert}: the placement, the
 * batching policy, the FFN of the batches and of the partner warm-up, the endpoint id Describe
 * reports, the meter registry, and an interceptor standing in for the transport.
 */
record ExpertSetup(UnitPlacement placement, BatchingPolicy policy, FfnRunner runner, Duration drainTimeout,
        FfnRunner partnerWarmupRunner, Supplier<String> endpointId, SimpleMeterRegistry registry,
        List<ServerInterceptor> interceptors) {

    /** Experts 3 and 5 of every layer plus expert 7 of layer 1, as {@link InProcessExpert#start()} hosts them. */
    static ExpertSetup defaults() {
        // Warm-up through its own runner: a gated test runner must see only the test's calls.
        return new ExpertSetup(new UnitPlacement(List.of(3, 5), List.of(new UnitId(1, 7))),
                InProcessExpert.DEFAULT_POLICY, new ExpertFfnRunner(Kernels.best()), Duration.ofSeconds(5),
                new ExpertFfnRunner(Kernels.best()), () -> "test-endpoint", new SimpleMeterRegistry(), List.of());
    }

    ExpertSetup withPlacement(UnitPlacement next) {
        return new ExpertSetup(next, policy, runner, drainTimeout, partnerWarmupRunner, endpointId, registry,
                interceptors);
    }

    ExpertSetup withPolicy(BatchingPolicy next) {
        return new ExpertSetup(placement, next, runner, drainTimeout, partnerWarmupRunner, endpointId, registry,
                interceptors);
    }

    ExpertSetup withRunner(FfnRunner next) {
        return new ExpertSetup(placement, policy, next, drainTimeout, partnerWarmupRunner, endpointId, registry,
                interceptors);
    }

    ExpertSetup withDrainTimeout(Duration next) {
        return new ExpertSetup(placement, policy, runner, next, partnerWarmupRunner, endpointId, registry,
                interceptors);
    }

    ExpertSetup withPartnerWarmupRunner(FfnRunner next) {
        return new ExpertSetup(placement, policy, runner, drainTimeout, next, endpointId, registry, interceptors);
    }

    ExpertSetup withEndpointId(Supplier<String> next) {
        return new ExpertSetup(placement, policy, runner, drainTimeout, partnerWarmupRunner, next, registry,
                interceptors);
    }

    ExpertSetup withRegistry(SimpleMeterRegistry next) {
        return new ExpertSetup(placement, policy, runner, drainTimeout, partnerWarmupRunner, endpointId, next,
                interceptors);
    }

    ExpertSetup withInterceptor(ServerInterceptor next) {
        return new ExpertSetup(placement, policy, runner, drainTimeout, partnerWarmupRunner, endpointId, registry,
                List.of(next));
    }
}
