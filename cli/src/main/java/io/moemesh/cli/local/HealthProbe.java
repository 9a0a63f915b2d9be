package io.moemesh.cli.local;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.util.concurrent.TimeUnit;

/** Asks a service's standard gRPC health endpoint whether it is SERVING. */
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
}
