package io.moemesh.expert.grpc;

import static io.moemesh.expert.grpc.ComputeRequests.gaussianRows;
import static io.moemesh.expert.grpc.ComputeRequests.output;
import static io.moemesh.expert.grpc.ComputeRequests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.expert.batching.BatchingPolicy;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.DescribeRequest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Stopping the server refuses new calls at once and gives in-flight calls the drain timeout to finish. */
class GracefulShutdownTest {

    private static final BatchingPolicy ONE_WORKER = new BatchingPolicy(256, Duration.ZERO, 4096, 1);
    private static final TestRoute[] ROUTES = {TestRoute.of(3, 0.5f, 5, 0.5f)};

    private final GatedFfnRunner runner = new GatedFfnRunner();
    private InProcessExpert expert;

    @AfterEach
    void close() {
        runner.release();
        expert.close();
    }

    @Test
    void inFlightCallFinishesWhileNewCallsAreRefused() throws Exception {
        expert = InProcessExpert.start(ONE_WORKER, runner, Duration.ofSeconds(10));
        float[] x = gaussianRows(1, 50);
        ListenableFuture<ComputeResponse> inFlight = expert.future().compute(request(0, x, DType.DTYPE_F32, ROUTES));
        runner.awaitFirstStarted();

        CompletableFuture<Void> stopping = CompletableFuture.runAsync(expert.server::stop);
        await().until(() -> !expert.server.isRunning());

        StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
                () -> expert.blocking().describe(DescribeRequest.getDefaultInstance()));
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(stopping).isNotDone();
        runner.release();
        assertThat(output(inFlight.get(), 1)).containsExactly(ReferenceExperts.combine(0, x, ROUTES));
        assertThat(stopping).succeedsWithin(Duration.ofSeconds(5));
    }

    @Test
    void callStillRunningAfterTheDrainTimeoutIsCancelled() {
        expert = InProcessExpert.start(ONE_WORKER, runner, Duration.ofMillis(100));
        ListenableFuture<ComputeResponse> stuck = expert.future()
                .compute(request(0, gaussianRows(1, 51), DType.DTYPE_F32, ROUTES));
        runner.awaitFirstStarted();

        expert.server.stop();

        ExecutionException failure = catchThrowableOfType(ExecutionException.class, stuck::get);
        assertThat(Status.fromThrowable(failure).getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.CANCELLED);
    }
}
