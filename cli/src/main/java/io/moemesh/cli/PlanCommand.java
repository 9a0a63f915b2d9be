package io.moemesh.cli;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.cli.local.ClusterState;
import io.moemesh.proto.internal.v1.GetPlacementRequest;
import io.moemesh.proto.internal.v1.PlacementControllerGrpc;
import io.moemesh.proto.internal.v1.PlacementStatus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moe plan}: what the placement controller sees and did. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Print the placement controller's view: co-activation per layer, units hosted per service, "
                + "expected and observed remote calls per token, and its last decision.")
final class PlanCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--controller", description = "Controller gRPC address HOST:PORT (default: the one `moe up` "
            + "started). A cluster's controller requires --internal-token-file, or mTLS (--ca-cert, --client-cert, "
            + "--client-key).")
    String controller;

    @Mixin
    InternalCallOptions internal;

    @Option(names = "--top-pairs", defaultValue = "4", description = "Most co-activated pairs shown per layer (default: ${DEFAULT-VALUE}).")
    int topPairs;

    @Option(names = "--state-dir", defaultValue = ".moe", description = "State directory of `moe up` (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Override
    public Integer call() {
        String target = controller != null ? controller : ClusterState.read(stateDir).controller();
        if (target == null) {
            throw new IllegalStateException("the local cluster runs without a placement controller (moe up --placement off)");
        }
        CallCredentials token = internal.token();
        ManagedChannel channel = internal.open(target);
        try {
            PlacementStatus status = PlacementControllerGrpc.newBlockingStub(channel).withCallCredentials(token)
                    .withDeadlineAfter(10, TimeUnit.SECONDS).getPlacement(GetPlacementRequest.getDefaultInstance());
            PlanReport.print(status, target, topPairs, spec.commandLine().getOut());
        } catch (StatusRuntimeException e) {
            throw new IllegalStateException("placement controller " + target + " did not answer: " + e.getStatus()
                    + hint(e.getStatus().getCode()), e);
        } finally {
            channel.shutdownNow();
        }
        return 0;
    }

    private static String hint(Status.Code code) {
        return switch (code) {
            case UNAUTHENTICATED, PERMISSION_DENIED -> ". A cluster's controller requires the internal token "
                    + "(--internal-token-file FILE, from the Secret of security.internalToken.existingSecret) or, with "
                    + "mTLS, --ca-cert, --client-cert and --client-key";
            default -> "";
        };
    }
}
