package io.moemesh.expert.grpc;

import io.grpc.ManagedChannel;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.expert.TinyModel;
import io.moemesh.expert.batching.BatchingPolicy;
import io.moemesh.expert.batching.FfnRunner;
import io.moemesh.expert.batching.MicroBatcher;
import io.moemesh.expert.batching.Ticker;
import io.moemesh.expert.compute.ComputeUseCase;
import io.moemesh.expert.compute.DescribeUseCase;
import io.moemesh.expert.compute.RePlacementUseCase;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.expert.unit.HostedUnits;
import io.moemesh.expert.unit.UnitPlacement;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import java.time.Duration;
import java.util.List;

/** The expert service wired as in production, on the tiny model, behind an in-process gRPC server. */
final class InProcessExpert implements AutoCloseable {

    static final BatchingPolicy DEFAULT_POLICY = new BatchingPolicy(256, Duration.ofMillis(2), 4096, 2);
    /** Short: one round over the new units always runs, which is what the tests rely on. */
    static final Duration PARTNER_WARMUP = Duration.ofMillis(10);

    final HostedUnits units;
    final MicroBatcher batcher;
    final SimpleMeterRegistry registry;
    final GrpcServerLifecycle server;
    private final ManagedChannel channel;

    private InProcessExpert(ExpertSetup setup) {
        registry = setup.registry();
        units = HostedUnits.load(TinyModel.dir(), setup.placement());
        batcher = new MicroBatcher(units.weights(), setup.runner(), setup.policy(), Ticker.system(), registry);
        DescribeUseCase describe = new DescribeUseCase(units, "cpu-scalar", setup.endpointId());
        RePlacementUseCase rePlacement = new RePlacementUseCase(units, batcher, describe,
                setup.partnerWarmupRunner(), PARTNER_WARMUP);
        ExpertGrpcService service = new ExpertGrpcService(new ComputeUseCase(units, batcher), describe, rePlacement,
                task -> Thread.ofVirtual().start(task), Ticker.system());
        String name = InProcessServerBuilder.generateName();
        server = new GrpcServerLifecycle("expert", InProcessServerBuilder.forName(name),
                List.of(ServerInterceptors.intercept(service.bindService(), setup.interceptors())),
                new HealthStatusManager(), setup.drainTimeout(), new GrpcServerLifecycle.Hooks() {
                    @Override
                    public void draining() {
                        service.drainStreams(); // as ExpertServiceConfiguration wires it
                    }
                });
        batcher.onFatalFailure(server::markNotServing); // as ExpertServiceConfiguration wires it
        server.start();
        channel = InProcessChannelBuilder.forName(name).build();
    }

    /**
     * Hosts experts 3 and 5 of every layer, plus expert 7 of layer 1, on the scalar kernels: their
     * results do not depend on JIT compilation, so they can be compared bit for bit with a reference
     * computed earlier or later in the run (the Vector API's EXP can differ by an ulp between tiers).
     */
    static InProcessExpert start() {
        return start(ExpertSetup.defaults());
    }

    static InProcessExpert start(BatchingPolicy policy, FfnRunner runner) {
        return start(policy, runner, Duration.ofSeconds(5));
    }

    static InProcessExpert start(BatchingPolicy policy, FfnRunner runner, Duration drainTimeout) {
        return start(ExpertSetup.defaults().withPolicy(policy).withRunner(runner).withDrainTimeout(drainTimeout));
    }

    static InProcessExpert start(UnitPlacement placement, BatchingPolicy policy, FfnRunner runner,
            Duration drainTimeout) {
        return start(ExpertSetup.defaults().withPlacement(placement).withPolicy(policy).withRunner(runner)
                .withDrainTimeout(drainTimeout));
    }

    static InProcessExpert start(ExpertSetup setup) {
        return new InProcessExpert(setup);
    }

    ExpertGrpc.ExpertBlockingStub blocking() {
        return ExpertGrpc.newBlockingStub(channel).withDeadlineAfter(Duration.ofSeconds(10));
    }

    ExpertGrpc.ExpertStub async() {
        return ExpertGrpc.newStub(channel);
    }

    ExpertGrpc.ExpertFutureStub future() {
        return ExpertGrpc.newFutureStub(channel).withDeadlineAfter(Duration.ofSeconds(10));
    }

    ExpertGrpc.ExpertFutureStub future(Duration deadline) {
        return ExpertGrpc.newFutureStub(channel).withDeadlineAfter(deadline);
    }

    /** What the standard gRPC health service answers for the whole server. */
    ServingStatus health() {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(Duration.ofSeconds(10))
                .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    }

    double meter(String name, String reason) {
        var search = registry.find(name);
        if (reason != null) {
            search = search.tag("reason", reason);
        }
        return search.counters().stream().mapToDouble(c -> c.count()).sum();
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.stop();
        batcher.close();
        units.close();
    }
}
