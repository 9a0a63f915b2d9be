package io.moemesh.cli.local;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Asks a service's standard gRPC health endpoint whether it is SERVING, and waits until it is. */
final class HealthProbe {

    private HealthProbe() {
    }

    static boolean serving(String target) {
        return "SERVING".equals(status(target));
    }

    /** SERVING, NOT_SERVING (or another health status), or why the health service did not answer. */
    static String status(String target) {
        ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
        try {
            ServingStatus status = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
            return status.name();
        } catch (StatusRuntimeException e) {
            return "no answer (" + e.getStatus().getCode() + ")";
        } finally {
            channel.shutdownNow();
        }
    }

    /** Waits until every process answers SERVING on its gRPC health endpoint. */
    static void awaitServing(List<ServiceProcess> processes, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ServiceProcess p : processes) {
            while (!HealthProbe.serving(p.target())) {
                if (ProcessHandle.of(p.pid()).map(h -> !h.isAlive()).orElse(true)) {
                    throw new IllegalStateException(p.name() + " exited during start-up; see " + p.log());
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(p.name() + " not ready after " + timeout + "; see " + p.log());
                }
                ServiceLauncher.pause();
            }
        }
    }
}
