package io.moemesh.expert.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.expert.unit.UnitPlacement;
import io.moemesh.proto.internal.v1.DescribeRequest;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.SetPartnerUnitsRequest;
import io.moemesh.proto.internal.v1.Unit;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A SetPartnerUnits that fails, over in-process gRPC: it is answered with INTERNAL, changes nothing,
 * and can be retried. The endpoint is expert service 3 with expert 7 of layer 1 as a partner; the
 * calls ask for expert 5 of layer 0 as well.
 */
class RePlacementFailureTest {

    private static final UnitPlacement SERVICE_THREE = new UnitPlacement(List.of(3), List.of(new UnitId(1, 7)));
    private static final UnitId FIVE_OF_LAYER_0 = new UnitId(0, 5);
    private static final SetPartnerUnitsRequest ADD_FIVE_OF_LAYER_0 = SetPartnerUnitsRequest.newBuilder()
            .addPartnerUnits(unit(1, 7)).addPartnerUnits(unit(0, 5)).build();
    /** Shorter than the default, so that a call left unanswered fails the test quickly. */
    private static final Duration DEADLINE = Duration.ofSeconds(5);

    private InProcessExpert expert;

    @AfterEach
    void close() {
        expert.close();
    }

    @Test
    void errorWhileWarmingUpNewPartnersIsInternalAndChangesNothing() {
        expert = InProcessExpert.start(ExpertSetup.defaults().withPlacement(SERVICE_THREE).withPartnerWarmupRunner(
                FailingOnceFfnRunner.throwing(new InternalError("a fault occurred in an unsafe memory access (test)"))));
        DescribeResponse before = describe();

        StatusRuntimeException failed = catchThrowableOfType(StatusRuntimeException.class,
                () -> expert.blocking().withDeadlineAfter(DEADLINE).setPartnerUnits(ADD_FIVE_OF_LAYER_0));

        assertThat(failed.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(failed.getStatus().getDescription()).isEqualTo("warming up partner units [expert 5 layer 0] "
                + "failed: java.lang.InternalError: a fault occurred in an unsafe memory access (test); nothing was "
                + "changed, see the expert service log");
        assertThat(describe()).isEqualTo(before);
        assertThat(expert.batcher.units()).doesNotContain(FIVE_OF_LAYER_0);
    }

    @Test
    void failureAfterTheNewQueuesExistReleasesThemSoThatARetrySucceeds() {
        FailingOnce endpointId = new FailingOnce();
        expert = InProcessExpert.start(ExpertSetup.defaults().withPlacement(SERVICE_THREE).withEndpointId(endpointId));
        DescribeResponse before = describe();
        endpointId.failNext();

        StatusRuntimeException failed = catchThrowableOfType(StatusRuntimeException.class,
                () -> expert.blocking().withDeadlineAfter(DEADLINE).setPartnerUnits(ADD_FIVE_OF_LAYER_0));
        DescribeResponse afterFailure = describe();
        boolean queueLeftBehind = expert.batcher.units().contains(FIVE_OF_LAYER_0);
        DescribeResponse retried = expert.blocking().withDeadlineAfter(DEADLINE).setPartnerUnits(ADD_FIVE_OF_LAYER_0);

        assertThat(failed.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(failed.getStatus().getDescription()).startsWith("publishing partner units [expert 5 layer 0, "
                + "expert 7 layer 1] failed: java.lang.IllegalStateException: endpoint id unavailable (test); "
                + "nothing was changed, retry the call");
        assertThat(afterFailure).isEqualTo(before);
        assertThat(queueLeftBehind).isFalse();
        assertThat(retried.getPartnerUnitsList()).containsExactly(unit(0, 5), unit(1, 7));
    }

    private DescribeResponse describe() {
        return expert.blocking().describe(DescribeRequest.getDefaultInstance());
    }

    private static Unit unit(int layer, int expert) {
        return Unit.newBuilder().setLayer(layer).setExpert(expert).build();
    }

    /** The endpoint id, failing once when told to: anything that throws once the new queues exist. */
    private static final class FailingOnce implements Supplier<String> {

        private final AtomicBoolean failNext = new AtomicBoolean();

        void failNext() {
            failNext.set(true);
        }

        @Override
        public String get() {
            if (failNext.compareAndSet(true, false)) {
                throw new IllegalStateException("endpoint id unavailable (test)");
            }
            return "test-endpoint";
        }
    }
}
