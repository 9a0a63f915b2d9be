package io.moemesh.expert.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.proto.codec.WireTensors;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The loopback warm-up against a real TCP server that records what it was sent. */
class LoopbackWarmupTest {

    private static final int HIDDEN = 8;
    private static final Duration LONG = Duration.ofMinutes(5);
    private static final List<UnitId> UNITS = List.of(new UnitId(0, 3), new UnitId(1, 3));

    private final List<ComputeRequest> received = new CopyOnWriteArrayList<>();
    private Server server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdownNow();
        }
    }

    @Test
    void makesTheCallsOverTcpCyclingThroughUnitsAndBatchSizes() throws Exception {
        int port = start(Integer.MAX_VALUE);

        int done = LoopbackWarmup.run(port, UNITS, HIDDEN, LONG, 7);

        assertThat(done).isEqualTo(7);
        assertThat(received).hasSize(7);
        assertThat(received).extracting(ComputeRequest::getLayer).containsExactly(0, 1, 0, 1, 0, 1, 0);
        assertThat(received).extracting(ComputeRequest::getRoutesCount).containsExactly(1, 4, 16, 1, 4, 16, 1);
        for (ComputeRequest request : received) {
            float[] rows = WireTensors.decode(request.getHidden(), "hidden", request.getRoutesCount(), HIDDEN);
            boolean anyNonZero = false;
            for (float v : rows) {
                assertThat(Float.isFinite(v)).isTrue();
                anyNonZero |= v != 0f;
            }
            assertThat(anyNonZero).isTrue();
            assertThat(request.getRoutesList()).allSatisfy(route -> {
                assertThat(route.getExpertsList()).containsExactly(3);
                assertThat(route.getWeightsList()).containsExactly(1f);
            });
        }
    }

    @Test
    void aFailingCallEndsTheWarmupWithoutAnException() throws Exception {
        int port = start(2);

        assertThat(LoopbackWarmup.run(port, UNITS, HIDDEN, LONG, 10)).isEqualTo(2);
        assertThat(received).hasSize(3);
    }

    @Test
    void stopsWhenTheBudgetIsSpent() throws Exception {
        int port = start(Integer.MAX_VALUE);

        int done = LoopbackWarmup.run(port, UNITS, HIDDEN, Duration.ofMillis(300));

        assertThat(done).isPositive().isEqualTo(received.size());
    }

    @Test
    void nothingToDoWithoutAPortUnitsOrBudget() throws Exception {
        int port = start(Integer.MAX_VALUE);

        assertThat(LoopbackWarmup.run(-1, UNITS, HIDDEN, LONG)).isZero();
        assertThat(LoopbackWarmup.run(port, List.of(), HIDDEN, LONG)).isZero();
        assertThat(LoopbackWarmup.run(port, UNITS, HIDDEN, Duration.ZERO)).isZero();
        assertThat(received).isEmpty();
    }

    /** A server answering the first {@code succeed} calls with zeros and failing the rest. */
    private int start(int succeed) throws Exception {
        server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(new ExpertGrpc.ExpertImplBase() {
                    @Override
                    public void compute(ComputeRequest request, StreamObserver<ComputeResponse> responses) {
                        received.add(request);
                        if (received.size() > succeed) {
                            responses.onError(Status.RESOURCE_EXHAUSTED.withDescription("full").asRuntimeException());
                            return;
                        }
                        int tokens = request.getRoutesCount();
                        responses.onNext(ComputeResponse.newBuilder()
                                .setOutput(WireTensors.encode(new float[tokens * HIDDEN], tokens, HIDDEN, DType.DTYPE_F32))
                                .build());
                        responses.onCompleted();
                    }
                })
                .build().start();
        return server.getPort();
    }
}
