import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.util.concurrent.TimeUnit;

/**
 * Asks the standard gRPC health service ({@code grpc.health.v1.Health/Check}, the one Kubernetes
 * {@code grpc:} probes call) of each {@code host:port} for the server's status, as a probe would.
 * Prints one line per target; exits 0 only when every target answers SERVING. A single-file
 * program, run with gRPC on the class path (the moe CLI jar bundles it):
 * {@code java -cp cli/target/moe.jar tools/images/GrpcHealthCheck.java 127.0.0.1:50061 ...}
 */
public final class GrpcHealthCheck {

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: GrpcHealthCheck HOST:PORT...");
            System.exit(2);
        }
        boolean allServing = true;
        for (String target : args) {
            String status = check(target);
            System.out.println(target + " " + status);
            allServing &= status.equals(ServingStatus.SERVING.name());
        }
        System.exit(allServing ? 0 : 1);
    }

    private static String check(String target) {
        ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
        try {
            return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus().name();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode().name();
        } finally {
            channel.shutdownNow();
        }
    }
}
