package io.moemesh.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GrpcServerLifecycleTest {

    private final List<String> events = new ArrayList<>();
    private final GrpcServerLifecycle.Hooks hooks = new GrpcServerLifecycle.Hooks() {
        @Override
        public void beforeStart() {
            events.add("beforeStart");
        }

        @Override
        public void started(int port) {
            events.add("started");
        }

        @Override
        public void draining() {
            events.add("draining");
        }
    };

    @Test
    void reportsServingOnlyWhileRunningAndCallsItsHooksInOrder() {
        String name = InProcessServerBuilder.generateName();
        HealthStatusManager health = new HealthStatusManager();
        GrpcServerLifecycle lifecycle = new GrpcServerLifecycle("test", InProcessServerBuilder.forName(name),
                List.<ServerServiceDefinition>of(), health, Duration.ofSeconds(1), hooks);
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        try {
            lifecycle.start();
            assertThat(lifecycle.isRunning()).isTrue();
            assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus())
                    .isEqualTo(ServingStatus.SERVING);

            lifecycle.stop();

            assertThat(lifecycle.isRunning()).isFalse();
            assertThat(events).containsExactly("beforeStart", "started", "draining");
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void markedNotServingWhileRunningAnswersNotServing() {
        String name = InProcessServerBuilder.generateName();
        GrpcServerLifecycle lifecycle = new GrpcServerLifecycle("test", InProcessServerBuilder.forName(name),
                List.<ServerServiceDefinition>of(), new HealthStatusManager(), Duration.ofSeconds(1), hooks);
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        try {
            lifecycle.start();

            lifecycle.markNotServing("worker died");

            assertThat(health(channel)).isEqualTo(ServingStatus.NOT_SERVING);
            assertThat(lifecycle.isRunning()).isTrue();
        } finally {
            lifecycle.stop();
            channel.shutdownNow();
        }
    }

    @Test
    void markedNotServingBeforeStartIsNotHiddenByStart() {
        String name = InProcessServerBuilder.generateName();
        GrpcServerLifecycle lifecycle = new GrpcServerLifecycle("test", InProcessServerBuilder.forName(name),
                List.<ServerServiceDefinition>of(), new HealthStatusManager(), Duration.ofSeconds(1), hooks);
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        try {
            lifecycle.markNotServing("worker died during warm-up");

            lifecycle.start();

            assertThat(health(channel)).isEqualTo(ServingStatus.NOT_SERVING);
        } finally {
            lifecycle.stop();
            channel.shutdownNow();
        }
    }

    @Test
    void aPassingConditionTurnsHealthOffAndOnButCannotUndoAMarkForGood() {
        String name = InProcessServerBuilder.generateName();
        GrpcServerLifecycle lifecycle = new GrpcServerLifecycle("test", InProcessServerBuilder.forName(name),
                List.<ServerServiceDefinition>of(), new HealthStatusManager(), Duration.ofSeconds(1), hooks);
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        try {
            lifecycle.start();
            lifecycle.serving(false);
            ServingStatus stalled = health(channel);
            lifecycle.serving(true);
            ServingStatus recovered = health(channel);
            lifecycle.markNotServing("loop died");
            lifecycle.serving(true);

            assertThat(stalled).isEqualTo(ServingStatus.NOT_SERVING);
            assertThat(recovered).isEqualTo(ServingStatus.SERVING);
            assertThat(health(channel)).isEqualTo(ServingStatus.NOT_SERVING);
        } finally {
            lifecycle.stop();
            channel.shutdownNow();
        }
    }

    @Test
    void aConditionFailingBeforeStartKeepsTheServerNotServingFromItsFirstCallUntilItPasses() {
        String name = InProcessServerBuilder.generateName();
        GrpcServerLifecycle lifecycle = new GrpcServerLifecycle("test", InProcessServerBuilder.forName(name),
                List.<ServerServiceDefinition>of(), new HealthStatusManager(), Duration.ofSeconds(1), hooks);
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        try {
            lifecycle.serving(false);
            lifecycle.start();
            ServingStatus atStart = health(channel);
            lifecycle.serving(true);

            assertThat(atStart).isEqualTo(ServingStatus.NOT_SERVING);
            assertThat(health(channel)).isEqualTo(ServingStatus.SERVING);
        } finally {
            lifecycle.stop();
            channel.shutdownNow();
        }
    }

    private static ServingStatus health(ManagedChannel channel) {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(Duration.ofSeconds(5))
                .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    }
}
