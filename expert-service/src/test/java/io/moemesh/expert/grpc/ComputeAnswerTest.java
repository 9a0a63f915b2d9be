package io.moemesh.expert.grpc;

import static io.moemesh.expert.grpc.ComputeRequests.gaussianRows;
import static io.moemesh.expert.grpc.ComputeRequests.output;
import static io.moemesh.expert.grpc.ComputeRequests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.expert.batching.BatchingPolicy;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every Compute call is answered exactly once, over in-process gRPC: a response that cannot be sent
 * still closes the call, and a call its client cancelled is not written to again.
 */
class ComputeAnswerTest {

    private static final TestRoute[] EXPERT_THREE = {TestRoute.of(3, 1f)};
    private static final BatchingPolicy ONE_WORKER = new BatchingPolicy(256, Duration.ZERO, 4096, 1);

    private final CallRecorder transport = new CallRecorder();
    private final GatedFfnRunner runner = new GatedFfnRunner();
    private InProcessExpert expert;

    @AfterEach
    void close() {
        runner.release();
        expert.close();
    }

    @Test
    void responseThatCannotBeSentClosesTheCallWithInternal() {
        expert = InProcessExpert.start(ExpertSetup.defaults().withInterceptor(transport));
        transport.failNextSend();

        StatusRuntimeException failed = catchThrowableOfType(StatusRuntimeException.class, () -> expert.blocking()
                .withDeadlineAfter(Duration.ofSeconds(5))
                .compute(request(0, gaussianRows(1, 70), DType.DTYPE_F32, EXPERT_THREE)));

        assertThat(failed.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(failed.getStatus().getDescription()).startsWith("expert service could not send the response to "
                + "request test-0-1: java.lang.IllegalStateException: transport failed to send the message (test)");
    }

    @Test
    void callCancelledWhileItsBatchRunsIsNotWrittenToAndTheServiceKeepsServing() throws Exception {
        expert = InProcessExpert.start(ExpertSetup.defaults().withPolicy(ONE_WORKER).withRunner(runner)
                .withInterceptor(transport));
        ListenableFuture<ComputeResponse> cancelled = expert.future()
                .compute(request(0, gaussianRows(1, 71), DType.DTYPE_F32, EXPERT_THREE));
        runner.awaitFirstStarted();

        cancelled.cancel(true);
        transport.awaitCancelSeen();
        runner.release();

        float[] x = gaussianRows(1, 72);
        assertThat(output(expert.blocking().compute(request(0, x, DType.DTYPE_F32, EXPERT_THREE)), 1))
                .containsExactly(ReferenceExperts.combine(0, x, EXPERT_THREE));
        assertThat(transport.writesAfterCancel()).isEmpty();
    }
}
