package io.moemesh.expert.grpc;

import static io.moemesh.expert.grpc.ComputeRequests.gaussianRows;
import static io.moemesh.expert.grpc.ComputeRequests.output;
import static io.moemesh.expert.grpc.ComputeRequests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.moemesh.proto.internal.v1.DType;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A batch that fails answers its calls at once, over in-process gRPC, instead of leaving them to
 * the caller's deadline; an Error also turns health NOT_SERVING. Calls get a deadline shorter than
 * the default, so that a call left hanging fails the test quickly.
 */
class BatchFailureTest {

    private static final TestRoute[] EXPERT_THREE = {TestRoute.of(3, 1f)};
    private static final Duration DEADLINE = Duration.ofSeconds(5);

    private InProcessExpert expert;

    @AfterEach
    void close() {
        expert.close();
    }

    @Test
    void callsOfABatchWhoseMetersFailAreStillAnsweredAndTheNextCallToo() throws Exception {
        BreakableMeterRegistry registry = new BreakableMeterRegistry();
        expert = InProcessExpert.start(ExpertSetup.defaults().withRegistry(registry));
        float[] first = gaussianRows(1, 60);
        float[] second = gaussianRows(1, 61);
        registry.breakNextIncrement();

        float[] answered = output(expert.future(DEADLINE).compute(request(0, first, DType.DTYPE_F32, EXPERT_THREE))
                .get(), 1);
        float[] next = output(expert.future(DEADLINE).compute(request(0, second, DType.DTYPE_F32, EXPERT_THREE))
                .get(), 1);

        assertThat(answered).containsExactly(ReferenceExperts.combine(0, first, EXPERT_THREE));
        assertThat(next).containsExactly(ReferenceExperts.combine(0, second, EXPERT_THREE));
    }

    @Test
    void errorInAForwardPassFailsItsCallWithInternalAndTurnsHealthNotServing() {
        expert = InProcessExpert.start(ExpertSetup.defaults()
                .withRunner(FailingOnceFfnRunner.throwing(new OutOfMemoryError("Java heap space (test)"))));

        StatusRuntimeException failed = catchThrowableOfType(StatusRuntimeException.class, () -> expert.blocking()
                .withDeadlineAfter(DEADLINE).compute(request(0, gaussianRows(1, 62), DType.DTYPE_F32, EXPERT_THREE)));

        assertThat(failed.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(failed.getStatus().getDescription()).isEqualTo("expert 3 layer 0 batch failed "
                + "(java.lang.OutOfMemoryError: Java heap space (test)); see the expert service log");
        assertThat(expert.health()).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(expert.batcher.healthy()).isFalse();
    }
}
