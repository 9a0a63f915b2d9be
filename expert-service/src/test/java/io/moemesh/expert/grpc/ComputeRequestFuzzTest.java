package io.moemesh.expert.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.expert.TinyModel;
import io.moemesh.expert.batching.ExpertFfnRunner;
import io.moemesh.expert.batching.MicroBatcher;
import io.moemesh.expert.batching.Ticker;
import io.moemesh.expert.compute.ComputeCall;
import io.moemesh.expert.compute.ComputeCommand;
import io.moemesh.expert.compute.ComputeException;
import io.moemesh.expert.compute.ComputeUseCase;
import io.moemesh.expert.unit.HostedUnits;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.expert.unit.UnitPlacement;
import io.moemesh.proto.internal.v1.ComputeRequest;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Compute requests come from routers over the network. Contract: whatever a {@code ComputeRequest}
 * holds, mapping it ({@link ExpertProtoMapper#toCommand}) and starting it ({@link ComputeUseCase#start})
 * either queues work for exactly its tokens or throws a {@link ComputeException}, which the service
 * answers with its status code; nothing else escapes (that would leave as INTERNAL).
 */
class ComputeRequestFuzzTest {

    private static HostedUnits units;
    private static MicroBatcher batcher;
    private static ComputeUseCase compute;

    @BeforeAll
    static void start() {
        units = HostedUnits.load(TinyModel.dir(), new UnitPlacement(List.of(3, 5), List.of(new UnitId(1, 7))));
        batcher = new MicroBatcher(units.weights(), new ExpertFfnRunner(Kernels.best()),
                InProcessExpert.DEFAULT_POLICY, Ticker.system(), new SimpleMeterRegistry());
        compute = new ComputeUseCase(units, batcher);
    }

    @AfterAll
    static void stop() {
        batcher.close();
        units.close();
    }

    /** A serialized {@code moemesh.internal.v1.ComputeRequest}; bytes that do not parse are gRPC's business. */
    @FuzzTest
    void answersAnyRequestWithWorkOrAStatus(byte[] bytes) {
        ComputeRequest request;
        try {
            request = ComputeRequest.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            return;
        }
        ComputeCall call;
        try {
            ComputeCommand command = ExpertProtoMapper.toCommand(request, compute.hiddenSize(),
                    MicroBatcher.NO_DEADLINE);
            assertThat(command.tokens()).isEqualTo(request.getRoutesCount());
            assertThat(command.hidden()).hasSize(command.tokens() * compute.hiddenSize());
            call = compute.start(command);
        } catch (ComputeException e) {
            assertThat(e.getMessage()).isNotBlank();
            assertThat(e.kind()).isIn(ComputeException.Kind.INVALID_ARGUMENT, ComputeException.Kind.NOT_FOUND,
                    ComputeException.Kind.RESOURCE_EXHAUSTED);
            return;
        }
        call.cancel(false); // the FFN itself is not under test: drop the queued work
    }
}
