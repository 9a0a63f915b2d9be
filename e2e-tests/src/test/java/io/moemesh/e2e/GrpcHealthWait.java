package io.moemesh.e2e;

import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;

/**
 * Ready once the service answers SERVING on the standard gRPC health service (what the Kubernetes
 * probes ask), through its published port. The images have no shell, so Testcontainers' default
 * port check, which runs one inside the container, cannot be used.
 */
final class GrpcHealthWait extends AbstractWaitStrategy {

    private final int port;
    private volatile String lastAnswer = "no answer yet"; // set on Awaitility's polling thread

    GrpcHealthWait(int port) {
        this.port = port;
    }

    @Override
    protected void waitUntilReady() {
        String target = waitStrategyTarget.getHost() + ":" + waitStrategyTarget.getMappedPort(port);
        ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
        try {
            await().atMost(startupTimeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(500))
                    .until(() -> serving(channel, target));
        } catch (ConditionTimeoutException e) {
            throw new ContainerLaunchException("not SERVING on gRPC port " + port + " (" + target + ") after "
                    + startupTimeout + "; last answer: " + lastAnswer);
        } finally {
            channel.shutdownNow();
        }
    }

    private boolean serving(ManagedChannel channel, String target) {
        if (!waitStrategyTarget.isRunning()) {
            throw new ContainerLaunchException("the container exited before it answered SERVING on " + target);
        }
        try {
            HealthCheckResponse.ServingStatus status = HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(2, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
            lastAnswer = status.name();
            return status == HealthCheckResponse.ServingStatus.SERVING;
        } catch (StatusRuntimeException e) {
            lastAnswer = e.getStatus().toString();
            return false;
        }
    }
}
