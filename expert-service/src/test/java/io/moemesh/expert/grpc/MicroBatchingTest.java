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
import io.moemesh.expert.unit.UnitId;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Requests for one unit that arrive while a batch is running wait in its queue and run together.
 * One worker, and a forward pass the test holds open, make that deterministic.
 */
class MicroBatchingTest {

    private static final UnitId UNIT = new UnitId(0, 3);
    private static final Duration AT_ONCE = Duration.ZERO;

    private final GatedFfnRunner runner = new GatedFfnRunner();
    private InProcessExpert expert;

    @AfterEach
    void close() {
        runner.release();
        expert.close();
    }

    @Test
    void concurrentCallsForOneUnitAreMergedAndEachCallerGetsItsOwnRows() throws Exception {
        expert = InProcessExpert.start(new BatchingPolicy(256, AT_ONCE, 4096, 1), runner);
        ListenableFuture<ComputeResponse> first = send(100, 1);
        runner.awaitFirstStarted();
        List<ListenableFuture<ComputeResponse>> queued = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            queued.add(send(101 + i, 1 + i % 2));
        }
        await().until(() -> expert.batcher.queuedTokens(UNIT) == 6);

        runner.release();

        assertOwnRows(first.get(), 100, 1);
        for (int i = 0; i < queued.size(); i++) {
            assertOwnRows(queued.get(i).get(), 101 + i, 1 + i % 2);
        }
        assertThat(runner.batchSizes()).containsExactly(1, 6);
        assertThat(expert.registry.get("moemesh.expert.batch.tokens").tag("expert", "3").summary().max()).isEqualTo(6);
    }

    @Test
    void fullQueueRefusesNewWorkWithResourceExhausted() throws Exception {
        expert = InProcessExpert.start(new BatchingPolicy(256, AT_ONCE, 3, 1), runner);
        ListenableFuture<ComputeResponse> running = send(200, 1);
        runner.awaitFirstStarted();
        ListenableFuture<ComputeResponse> waiting = send(201, 2);
        await().until(() -> expert.batcher.queuedTokens(UNIT) == 2);

        StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
                () -> expert.blocking().compute(request(0, gaussianRows(2, 202), DType.DTYPE_F32, routes(2))));

        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(refused.getStatus().getDescription())
                .isEqualTo("expert 3 layer 0 queue full (3 tokens); retry later or add replicas");
        assertThat(expert.meter("moemesh.expert.rejected", "queue_full")).isEqualTo(1);
        runner.release();
        assertOwnRows(running.get(), 200, 1);
        assertOwnRows(waiting.get(), 201, 2);
    }

    @Test
    void deadlineExpiringWhileQueuedAnswersDeadlineExceededAndDropsTheWork() throws Exception {
        expert = InProcessExpert.start(new BatchingPolicy(256, AT_ONCE, 4096, 1), runner);
        ListenableFuture<ComputeResponse> running = send(300, 1);
        runner.awaitFirstStarted();

        ListenableFuture<ComputeResponse> late = expert.future(Duration.ofMillis(200))
                .compute(request(0, gaussianRows(2, 301), DType.DTYPE_F32, routes(2)));

        ExecutionException failure = catchThrowableOfType(ExecutionException.class, late::get);
        assertThat(Status.fromThrowable(failure).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        await().until(() -> expert.batcher.queuedTokens(UNIT) == 0);
        runner.release();
        assertOwnRows(running.get(), 300, 1);
        assertOwnRows(send(302, 1).get(), 302, 1);
        assertThat(runner.batchSizes()).containsExactly(1, 1);
    }

    @Test
    void cancelledCallIsSkipped() throws Exception {
        expert = InProcessExpert.start(new BatchingPolicy(256, AT_ONCE, 4096, 1), runner);
        ListenableFuture<ComputeResponse> running = send(400, 1);
        runner.awaitFirstStarted();
        ListenableFuture<ComputeResponse> abandoned = send(401, 3);
        await().until(() -> expert.batcher.queuedTokens(UNIT) == 3);

        abandoned.cancel(true);

        await().until(() -> expert.batcher.queuedTokens(UNIT) == 0);
        runner.release();
        assertOwnRows(running.get(), 400, 1);
        assertThat(runner.batchSizes()).containsExactly(1);
        assertThat(expert.meter("moemesh.expert.rejected", "cancelled")).isEqualTo(1);
    }

    private ListenableFuture<ComputeResponse> send(long seed, int tokens) {
        return expert.future().compute(request(0, gaussianRows(tokens, seed), DType.DTYPE_F32, routes(tokens)));
    }

    private static TestRoute[] routes(int tokens) {
        TestRoute[] routes = new TestRoute[tokens];
        for (int t = 0; t < tokens; t++) {
            routes[t] = TestRoute.of(3, 0.25f + 0.125f * t);
        }
        return routes;
    }

    private static void assertOwnRows(ComputeResponse response, long seed, int tokens) {
        assertThat(output(response, tokens))
                .containsExactly(ReferenceExperts.combine(0, gaussianRows(tokens, seed), routes(tokens)));
    }
}
