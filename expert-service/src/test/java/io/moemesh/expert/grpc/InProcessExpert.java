package io.moemesh.expert.grpc;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.expert.TinyModel;
import io.moemesh.expert.batching.BatchingPolicy;
import io.moemesh.expert.batching.ExpertFfnRunner;
import io.moemesh.expert.batching.FfnRunner;
import io.moemesh.expert.batching.MicroBatcher;
import io.moemesh.expert.batching.Ticker;
import io.moemesh.expert.compute.ComputeUseCase;
import io.moemesh.expert.compute.DescribeUseCase;
import io.moemesh.expert.compute.RePlacementUseCase;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.expert.unit.HostedUnits;
import io.moemesh.expert.unit.UnitId;
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
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final GrpcServerLifecycle server;
    private final ManagedChannel channel;

    private InProcessExpert(UnitPlacement placement, BatchingPolicy policy, FfnRunner runner, Duration drainTimeout) {
        units = HostedUnits.load(TinyModel.dir(), placement);
        batcher = new MicroBatcher(units.weights(), runner, policy, Ticker.system(), registry);
        DescribeUseCase describe = new DescribeUseCase(units, "cpu-scalar", () -> "test-endpoint");
        // Warm-up through its own runner: a gated test runner must see only the test's calls.
        RePlacementUseCase rePlacement = new RePlacementUseCase(units, batcher, describe,
                new ExpertFfnRunner(Kernels.best()), PARTNER_WARMUP);
        ExpertGrpcService service = new ExpertGrpcService(new ComputeUseCase(units, batcher), describe, rePlacement,
                task -> Thread.ofVirtual().start(task), Ticker.system());
        String name = InProcessServerBuilder.generateName();
        server = new GrpcServerLifecycle("expert", InProcessServerBuilder.forName(name), List.of(service.bindService()),
                new HealthStatusManager(), drainTimeout, new GrpcServerLifecycle.Hooks() { });
        server.start();
        channel = InProcessChannelBuilder.forName(name).build();
    }

    /**
     * Hosts experts 3 and 5 of every layer, plus expert 7 of layer 1, on the scalar kernels: their
     * results do not depend on JIT compilation, so they can be compared bit for bit with a reference
     * computed earlier or later in the run (the Vector API's EXP can differ by an ulp between tiers).
     */
    static InProcessExpert start() {
        return start(DEFAULT_POLICY, new ExpertFfnRunner(Kernels.best()));
    }

    static InProcessExpert start(BatchingPolicy policy, FfnRunner runner) {
        return start(policy, runner, Duration.ofSeconds(5));
    }

    static InProcessExpert start(BatchingPolicy policy, FfnRunner runner, Duration drainTimeout) {
        return start(new UnitPlacement(List.of(3, 5), List.of(new UnitId(1, 7))), policy, runner, drainTimeout);
    }

    static InProcessExpert start(UnitPlacement placement, BatchingPolicy policy, FfnRunner runner,
            Duration drainTimeout) {
        return new InProcessExpert(placement, policy, runner, drainTimeout);
    }

    ExpertGrpc.ExpertBlockingStub blocking() {
        return ExpertGrpc.newBlockingStub(channel).withDeadlineAfter(Duration.ofSeconds(10));
    }

    ExpertGrpc.ExpertFutureStub future() {
        return ExpertGrpc.newFutureStub(channel).withDeadlineAfter(Duration.ofSeconds(10));
    }

    ExpertGrpc.ExpertFutureStub future(Duration deadline) {
        return ExpertGrpc.newFutureStub(channel).withDeadlineAfter(deadline);
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
