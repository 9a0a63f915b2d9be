package io.moemesh.expert.grpc;

import static io.moemesh.expert.grpc.ComputeRequests.gaussianRows;
import static io.moemesh.expert.grpc.ComputeRequests.output;
import static io.moemesh.expert.grpc.ComputeRequests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.moemesh.expert.batching.BatchingPolicy;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code ComputeStream}: each message is a Compute call of its own, answered with its call id; a
 * failed call does not end the stream; cancel withdraws; shutdown answers what was admitted, refuses
 * the rest and ends the stream instead of holding the drain open.
 */
class ComputeStreamTest {

    private static final BatchingPolicy ONE_WORKER = new BatchingPolicy(256, Duration.ZERO, 4096, 1);
    private static final TestRoute[] ROUTES = {TestRoute.of(3, 0.5f, 5, 0.5f)};

    private final GatedFfnRunner gate = new GatedFfnRunner();
    private InProcessExpert expert;

    @AfterEach
    void close() {
        gate.release();
        if (expert != null) {
            expert.close();
        }
    }

    @Test
    void answersEveryCallWithItsIdAndTheUnaryOutput() throws Exception {
        expert = InProcessExpert.start();
        Answers answers = new Answers();
        StreamObserver<ComputeRequest> requests = expert.async().computeStream(answers);
        Map<Long, float[]> inputs = new HashMap<>();
        for (long id = 1; id <= 6; id++) {
            float[] x = gaussianRows(2, 100 + id);
            inputs.put(id, x);
            requests.onNext(call(id, request((int) (id % 2), x, DType.DTYPE_F32, ROUTES[0], ROUTES[0])));
        }
        for (int i = 0; i < 6; i++) {
            ComputeResponse r = answers.next();
            assertThat(r.getStatusCode()).isZero();
            long id = r.getCallId();
            assertThat(output(r, 2)).containsExactly(
                    ReferenceExperts.combine((int) (id % 2), inputs.remove(id), ROUTES[0], ROUTES[0]));
            assertThat(r.getServerNanos()).isPositive();
        }
        assertThat(inputs).isEmpty();
        requests.onCompleted();
        assertThat(answers.ended).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(Status.Code.OK);
    }

    @Test
    void aFailedCallIsAnsweredWithItsStatusAndTheStreamGoesOn() throws Exception {
        expert = InProcessExpert.start();
        Answers answers = new Answers();
        StreamObserver<ComputeRequest> requests = expert.async().computeStream(answers);

        requests.onNext(call(7, request(0, gaussianRows(1, 1), DType.DTYPE_F32, TestRoute.of(7, 1f))));
        ComputeResponse refused = answers.next();
        assertThat(refused.getCallId()).isEqualTo(7);
        assertThat(refused.getStatusCode()).isEqualTo(Status.Code.NOT_FOUND.value());
        assertThat(refused.getStatusMessage()).contains("expert 7");
        assertThat(refused.hasOutput()).isFalse();

        float[] x = gaussianRows(1, 2);
        requests.onNext(call(8, request(0, x, DType.DTYPE_F32, ROUTES)));
        ComputeResponse served = answers.next();
        assertThat(served.getCallId()).isEqualTo(8);
        assertThat(output(served, 1)).containsExactly(ReferenceExperts.combine(0, x, ROUTES));
        assertThat(answers.ended).isNotDone();
        requests.onCompleted();
    }

    @Test
    void aCallQueuedPastItsTimeoutIsAnsweredDeadlineExceeded() throws Exception {
        expert = InProcessExpert.start(ONE_WORKER, gate);
        Answers answers = new Answers();
        StreamObserver<ComputeRequest> requests = expert.async().computeStream(answers);
        requests.onNext(call(1, request(0, gaussianRows(1, 3), DType.DTYPE_F32, ROUTES)));
        gate.awaitFirstStarted();
        requests.onNext(call(2, request(0, gaussianRows(1, 4), DType.DTYPE_F32, ROUTES)).toBuilder()
                .setTimeoutNanos(Duration.ofMillis(50).toNanos()).build());
        Thread.sleep(100); // past call 2's deadline while the only worker is held
        gate.release();

        Map<Long, ComputeResponse> byId = new HashMap<>();
        for (int i = 0; i < 2; i++) {
            ComputeResponse r = answers.next();
            byId.put(r.getCallId(), r);
        }
        assertThat(byId.get(1L).getStatusCode()).isZero();
        assertThat(byId.get(2L).getStatusCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED.value());
        requests.onCompleted();
    }

    @Test
    void aWithdrawnCallIsDroppedAndNeverAnswered() throws Exception {
        expert = InProcessExpert.start(ONE_WORKER, gate);
        Answers answers = new Answers();
        StreamObserver<ComputeRequest> requests = expert.async().computeStream(answers);
        requests.onNext(call(1, request(0, gaussianRows(1, 5), DType.DTYPE_F32, ROUTES)));
        gate.awaitFirstStarted();
        requests.onNext(call(2, request(0, gaussianRows(1, 6), DType.DTYPE_F32, ROUTES)));
        requests.onNext(ComputeRequest.newBuilder().setCallId(2).setCancel(true).build());
        requests.onNext(call(3, request(1, gaussianRows(1, 7), DType.DTYPE_F32, ROUTES)));
        gate.release();

        assertThat(answers.next().getCallId()).isIn(1L, 3L);
        assertThat(answers.next().getCallId()).isIn(1L, 3L);
        requests.onCompleted();
        assertThat(answers.ended).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(Status.Code.OK);
        assertThat(answers.queue).isEmpty();
    }

    @Test
    void shutdownAnswersAdmittedCallsRefusesNewOnesAndEndsTheStream() throws Exception {
        expert = InProcessExpert.start(ONE_WORKER, gate, Duration.ofSeconds(30));
        Answers answers = new Answers();
        StreamObserver<ComputeRequest> requests = expert.async().computeStream(answers);
        float[] x = gaussianRows(1, 8);
        requests.onNext(call(1, request(0, x, DType.DTYPE_F32, ROUTES)));
        gate.awaitFirstStarted();

        CompletableFuture<Void> stopping = CompletableFuture.runAsync(expert.server::stop);
        await().until(() -> !expert.server.isRunning());
        requests.onNext(call(2, request(0, gaussianRows(1, 9), DType.DTYPE_F32, ROUTES)));
        ComputeResponse refused = answers.next();
        assertThat(refused.getCallId()).isEqualTo(2);
        assertThat(refused.getStatusCode()).isEqualTo(Status.Code.UNAVAILABLE.value());
        assertThat(refused.getStatusMessage()).contains("shutting down");
        assertThat(answers.ended).isNotDone();

        gate.release();
        ComputeResponse served = answers.next();
        assertThat(served.getCallId()).isEqualTo(1);
        assertThat(output(served, 1)).containsExactly(ReferenceExperts.combine(0, x, ROUTES));
        assertThat(answers.ended).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(Status.Code.OK);
        // the open stream did not hold the drain open for its 30 s
        assertThat(stopping).succeedsWithin(Duration.ofSeconds(10));
    }

    @Test
    void aRouterThatStopsTakingAnswersStopsHavingItsRequestsRead() throws Exception {
        gate.release(); // only counts the batches
        expert = InProcessExpert.start(ONE_WORKER, gate);
        Answers answers = new Answers();
        AtomicReference<ClientCallStreamObserver<ComputeRequest>> call = new AtomicReference<>();
        StreamObserver<ComputeRequest> requests = expert.async().computeStream(
                new ClientResponseObserver<ComputeRequest, ComputeResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<ComputeRequest> stream) {
                        call.set(stream);
                        stream.disableAutoRequestWithInitial(0); // takes no answers
                    }

                    @Override
                    public void onNext(ComputeResponse value) {
                        answers.onNext(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answers.onError(t);
                    }

                    @Override
                    public void onCompleted() {
                        answers.onCompleted();
                    }
                });
        int sent = 200;
        for (int id = 1; id <= sent; id++) {
            requests.onNext(call(id, request(0, gaussianRows(1, id), DType.DTYPE_F32, TestRoute.of(3, 1f))));
        }
        Thread.sleep(500); // time to read and compute what it would
        int computed = gate.batchSizes().stream().mapToInt(Integer::intValue).sum();
        assertThat(computed).as("tokens computed while no answer is taken").isLessThanOrEqualTo(ComputeStream.READ_AHEAD);

        call.get().request(Integer.MAX_VALUE); // the router reads again: every call is answered, none lost
        Set<Long> ids = new HashSet<>();
        for (int i = 0; i < sent; i++) {
            ComputeResponse r = answers.next();
            assertThat(r.getStatusCode()).isZero();
            ids.add(r.getCallId());
        }
        assertThat(ids).hasSize(sent);
        requests.onCompleted();
    }

    private static ComputeRequest call(long id, ComputeRequest request) {
        return request.toBuilder().setCallId(id).setTimeoutNanos(Duration.ofSeconds(10).toNanos()).build();
    }

    /** The answers of one stream, and how it ended. */
    private static final class Answers implements StreamObserver<ComputeResponse> {

        final BlockingQueue<ComputeResponse> queue = new LinkedBlockingQueue<>();
        final CompletableFuture<Status.Code> ended = new CompletableFuture<>();

        ComputeResponse next() throws InterruptedException {
            ComputeResponse r = queue.poll(10, TimeUnit.SECONDS);
            assertThat(r).as("an answer within 10 s").isNotNull();
            return r;
        }

        @Override
        public void onNext(ComputeResponse value) {
            queue.add(value);
        }

        @Override
        public void onError(Throwable t) {
            ended.complete(Status.fromThrowable(t).getCode());
        }

        @Override
        public void onCompleted() {
            ended.complete(Status.Code.OK);
        }
    }
}
