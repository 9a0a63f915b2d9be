package io.moemesh.router.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.ExpertEndpointState;
import io.moemesh.proto.internal.v1.ExpertEndpointsGrpc;
import io.moemesh.proto.internal.v1.ExpertEndpointsState;
import io.moemesh.proto.internal.v1.GetExpertEndpointsRequest;
import io.moemesh.proto.internal.v1.PrunedUnit;
import io.moemesh.proto.internal.v1.RefreshExpertEndpointsRequest;
import io.moemesh.proto.internal.v1.SetPrunedExpertsRequest;
import io.moemesh.proto.internal.v1.Unit;
import io.moemesh.router.dispatch.ExpertEndpoint;
import io.moemesh.router.dispatch.ExpertEndpoints;
import io.moemesh.router.dispatch.IncompatibleEndpointException;
import io.moemesh.router.dispatch.TopologyDrainTimeoutException;
import io.moemesh.router.batching.LivePruning;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The ExpertEndpoints RPCs in process, over a stand-in for the router's endpoints. */
class ExpertEndpointsGrpcServiceTest {

    private static final DescribeResponse DESCRIPTION = DescribeResponse.newBuilder().setHiddenSize(64)
            .setEndpointId("expert-3-abc").setService(3).addUnits(Unit.newBuilder().setLayer(1).setExpert(3)).build();
    private static final ExpertEndpoints.State STATE = new ExpertEndpoints.State(7, List.of(
            new ExpertEndpoints.EndpointState(new ExpertEndpoint("e3", "10.0.0.3:50061"), Optional.of(DESCRIPTION),
                    true),
            new ExpertEndpoints.EndpointState(new ExpertEndpoint("e4", "10.0.0.4:50061"), Optional.empty(), false)));

    private Server server;
    private ManagedChannel channel;

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    private ExpertEndpointsGrpc.ExpertEndpointsBlockingStub serve(Optional<ExpertEndpoints> endpoints)
            throws IOException {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(new ExpertEndpointsGrpcService(endpoints,
                        new PruningTarget(new LivePruning(Duration.ofSeconds(5)), 2, 8, 2))).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        return ExpertEndpointsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    @FunctionalInterface
    private interface Refresh {
        ExpertEndpoints.State refresh() throws InterruptedException;
    }

    /** Endpoints whose state is {@code state} and whose refresh does {@code refresh}. */
    private static Optional<ExpertEndpoints> endpoints(ExpertEndpoints.State state, Refresh refresh) {
        return Optional.of(new ExpertEndpoints() {
            @Override
            public State state() {
                return state;
            }

            @Override
            public State refresh() throws InterruptedException {
                return refresh.refresh();
            }
        });
    }

    private static void assertStatus(Runnable call, Status.Code code, String description) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).contains(description);
        });
    }

    @Test
    void getAnswersTheVersionAndEachEndpointsTargetDescriptionAndAcceptance() throws IOException {
        var stub = serve(endpoints(STATE, () -> {
            throw new AssertionError("Get must not refresh");
        }));

        ExpertEndpointsState state = stub.getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance());

        assertThat(state.getTopologyVersion()).isEqualTo(7);
        assertThat(state.getEndpointsList()).containsExactly(
                ExpertEndpointState.newBuilder().setTarget("10.0.0.3:50061").setDescription(DESCRIPTION)
                        .setAccepting(true).build(),
                ExpertEndpointState.newBuilder().setTarget("10.0.0.4:50061").setAccepting(false).build());
        assertThat(state.getEndpoints(1).hasDescription()).as("never answered").isFalse();
    }

    @Test
    void refreshAnswersTheStateTheRefreshInstalled() throws IOException {
        ExpertEndpoints.State refreshed = new ExpertEndpoints.State(8, STATE.endpoints().subList(0, 1));
        var stub = serve(endpoints(STATE, () -> refreshed));

        ExpertEndpointsState state = stub.refreshExpertEndpoints(RefreshExpertEndpointsRequest.getDefaultInstance());

        assertThat(state.getTopologyVersion()).isEqualTo(8);
        assertThat(state.getEndpointsList()).extracting(ExpertEndpointState::getTarget)
                .containsExactly("10.0.0.3:50061");
    }

    @Test
    void bothAreFailedPreconditionWhenTheExpertsRunInProcess() throws IOException {
        var stub = serve(Optional.empty());

        assertStatus(() -> stub.getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance()),
                Status.Code.FAILED_PRECONDITION, "runs its experts in process");
        assertStatus(() -> stub.refreshExpertEndpoints(RefreshExpertEndpointsRequest.getDefaultInstance()),
                Status.Code.FAILED_PRECONDITION, "no expert endpoints to describe or refresh");
    }

    @Test
    void aRefreshWhoseOldStepsOutlastTheWaitIsDeadlineExceeded() throws IOException {
        var stub = serve(endpoints(STATE, () -> {
            throw new TopologyDrainTimeoutException("1 layer step(s) ... still in flight after 11000 ms");
        }));

        assertStatus(() -> stub.refreshExpertEndpoints(RefreshExpertEndpointsRequest.getDefaultInstance()),
                Status.Code.DEADLINE_EXCEEDED, "still in flight after 11000 ms");
    }

    @Test
    void aRefreshThatFindsAnEndpointOfAnotherModelIsFailedPrecondition() throws IOException {
        var stub = serve(endpoints(STATE, () -> {
            throw new IncompatibleEndpointException("expert endpoint e4 serves hidden size 512 but the router's model"
                    + " has 64: wrong model?");
        }));

        assertStatus(() -> stub.refreshExpertEndpoints(RefreshExpertEndpointsRequest.getDefaultInstance()),
                Status.Code.FAILED_PRECONDITION, "wrong model? (the router keeps its previous topology)");
    }

    @Test
    void setPrunedExpertsWorksWhenTheExpertsRunInProcessAndGetReportsTheSetWithEndpoints() throws IOException {
        var inProcess = serve(Optional.empty());

        ExpertEndpointsState state = inProcess.setPrunedExperts(SetPrunedExpertsRequest.newBuilder()
                .addUnits(PrunedUnit.newBuilder().setLayer(1).setExpert(5))
                .addUnits(PrunedUnit.newBuilder().setLayer(0).setExpert(5)).setReason("cold").build());

        assertThat(state.getPrunedList()).containsExactly(PrunedUnit.newBuilder().setLayer(0).setExpert(5).build(),
                PrunedUnit.newBuilder().setLayer(1).setExpert(5).build());
        assertThat(state.getPrunedReason()).isEqualTo("cold");
        assertThat(state.getEndpointsList()).isEmpty();
        stop();
        var remote = serve(endpoints(STATE, () -> STATE));
        remote.setPrunedExperts(SetPrunedExpertsRequest.newBuilder()
                .addUnits(PrunedUnit.newBuilder().setLayer(0).setExpert(2)).setReason("cold").build());
        ExpertEndpointsState described = remote.getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance());
        assertThat(described.getPrunedList()).extracting(PrunedUnit::getExpert).containsExactly(2);
        assertThat(described.getEndpointsCount()).isEqualTo(2);
        assertThat(remote.refreshExpertEndpoints(RefreshExpertEndpointsRequest.getDefaultInstance()).getPrunedReason())
                .isEqualTo("cold");
    }

    @Test
    void setPrunedExpertsOutsideTheModelIsInvalidArgument() throws IOException {
        var stub = serve(Optional.empty());

        assertStatus(() -> stub.setPrunedExperts(SetPrunedExpertsRequest.newBuilder()
                        .addUnits(PrunedUnit.newBuilder().setLayer(0).setExpert(8)).build()),
                Status.Code.INVALID_ARGUMENT, "experts 0..7");
    }
}
