package io.moemesh.expert.batching;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.expert.TinyModel;
import io.moemesh.expert.grpc.GatedFfnRunner;
import io.moemesh.expert.unit.HostedUnits;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.expert.unit.UnitPlacement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Dispatch when idle, batch while busy. A {@code max-queue-delay} of an hour makes every test that
 * must not wait for the delay fail by timing out if it does; the runner holds the first forward
 * pass open until the test releases it, and the clock only moves when the test moves it.
 */
class DispatchWhenIdleTest {

    private static final UnitId UNIT = new UnitId(1, 2);
    private static final Duration NEVER = Duration.ofHours(1);
    private static final Duration SOON = Duration.ofSeconds(5);

    private final AtomicLong now = new AtomicLong(1_000);
    private final GatedFfnRunner runner = new GatedFfnRunner();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final HostedUnits units = HostedUnits.load(TinyModel.dir(), new UnitPlacement(List.of(2), List.of()));
    private MicroBatcher batcher;

    @AfterEach
    void close() {
        runner.release();
        batcher.close();
        units.close();
    }

    @Test
    void requestForAnIdleUnitRunsWithoutWaitingForTheQueueDelay() {
        batcher = batcher(new BatchingPolicy(256, NEVER, 4096, 1));
        runner.release();

        assertThat(submit(1)).succeedsWithin(SOON);
        assertThat(runner.batchSizes()).containsExactly(1);
    }

    @Test
    void smallWorkForAnIdleUnitRunsOnTheSubmittingThreadAndIsAnsweredWhenSubmitReturns() {
        batcher = batcher(new BatchingPolicy(256, NEVER, 4096, 1, 4));
        runner.release();
        List<String> answeredOn = new java.util.concurrent.CopyOnWriteArrayList<>();

        CompletableFuture<float[]> small = submit(4);
        small.whenComplete((rows, error) -> answeredOn.add(Thread.currentThread().getName()));
        assertThat(small).isDone(); // computed inside submit, on this thread
        CompletableFuture<float[]> large = submit(5);

        assertThat(large).succeedsWithin(SOON);
        assertThat(answeredOn).containsExactly(Thread.currentThread().getName());
        assertThat(runner.batchSizes()).containsExactly(4, 5);
    }

    @Test
    void smallWorkForABusyUnitQueuesBehindTheRunningBatchInsteadOfRunningInline() throws Exception {
        batcher = batcher(new BatchingPolicy(256, NEVER, 4096, 1, 4));
        CompletableFuture<float[]> running = submit(8); // over the inline limit: a worker runs it, held open
        runner.awaitFirstStarted();

        CompletableFuture<float[]> queued = submit(1);

        assertThat(queued).isNotDone();
        assertThat(batcher.queuedTokens(UNIT)).isEqualTo(1);
        runner.release();
        assertThat(running).succeedsWithin(SOON);
        assertThat(queued).succeedsWithin(SOON);
        assertThat(runner.batchSizes()).containsExactly(8, 1);
    }

    @Test
    void requestsArrivingWhileABatchRunsAreMergedIntoTheNextBatchWhenItFinishes() {
        batcher = batcher(new BatchingPolicy(256, NEVER, 4096, 2));
        CompletableFuture<float[]> running = submit(1);
        runner.awaitFirstStarted();

        CompletableFuture<float[]> second = submit(1);
        CompletableFuture<float[]> third = submit(2);

        assertThat(batcher.queuedTokens(UNIT)).isEqualTo(3);
        assertThat(runner.batchSizes()).containsExactly(1);
        runner.release();
        assertThat(running).succeedsWithin(SOON);
        assertThat(second).succeedsWithin(SOON).extracting(rows -> rows.length).isEqualTo(TinyModel.HIDDEN);
        assertThat(third).succeedsWithin(SOON).extracting(rows -> rows.length).isEqualTo(2 * TinyModel.HIDDEN);
        assertThat(runner.batchSizes()).containsExactly(1, 3);
        DistributionSummary batchTokens = registry.get(UnitMetrics.BATCH_TOKENS).tag("layer", "1").summary();
        assertThat(batchTokens.count()).isEqualTo(2);
        assertThat(batchTokens.max()).isEqualTo(3);
        assertThat(batcher.queuedTokens(UNIT)).isZero();
    }

    /**
     * The router's pattern: the answer for one layer step triggers the call for the next. The next
     * call arrives from inside the finishing batch, after its rows are out but before the batch
     * counts as done, so only the batch's own completion can dispatch it (no timer will).
     */
    @Test
    void workArrivingAsABatchFinishesIsDispatchedByThatBatchNotStranded() {
        batcher = batcher(new BatchingPolicy(256, NEVER, 4096, 1));
        CompletableFuture<float[]> next = submit(1).thenCompose(rows -> submit(1));
        runner.awaitFirstStarted();

        runner.release();

        assertThat(next).succeedsWithin(SOON);
        assertThat(runner.batchSizes()).containsExactly(1, 1);
    }

    @Test
    void queueDelayDispatchesWorkWaitingBehindABatchThatDoesNotFinish() {
        batcher = batcher(new BatchingPolicy(256, Duration.ofMillis(20), 4096, 2));
        CompletableFuture<float[]> stuck = submit(1);
        runner.awaitFirstStarted();

        CompletableFuture<float[]> waiting = submit(2);

        assertThat(waiting).succeedsWithin(SOON);
        assertThat(stuck).isNotDone();
        assertThat(runner.batchSizes()).containsExactly(1, 2);
    }

    @Test
    void droppingTheOldestQueuedWorkRearmsTheDelayFromTheArrivalOfTheNext() {
        batcher = batcher(new BatchingPolicy(256, NEVER, 4096, 2));
        CompletableFuture<float[]> stuck = submit(1);
        runner.awaitFirstStarted();
        QueuedWork oldest = batcher.submit(UNIT, rows(1), 1, MicroBatcher.NO_DEADLINE);
        CompletableFuture<float[]> next = submit(2);

        now.addAndGet(NEVER.toNanos());
        oldest.drop(RejectedWorkException.Reason.CANCELLED, "caller went away");

        assertThat(next).succeedsWithin(SOON);
        assertThat(stuck).isNotDone();
        assertThat(runner.batchSizes()).containsExactly(1, 2);
    }

    @Test
    void fullBatchRunsAtOnceEvenWhileAnotherBatchOfTheUnitRuns() {
        batcher = batcher(new BatchingPolicy(2, NEVER, 4096, 2));
        CompletableFuture<float[]> stuck = submit(1);
        runner.awaitFirstStarted();

        CompletableFuture<float[]> first = submit(1);
        CompletableFuture<float[]> second = submit(1);

        assertThat(first).succeedsWithin(SOON);
        assertThat(second).succeedsWithin(SOON);
        assertThat(stuck).isNotDone();
        assertThat(runner.batchSizes()).containsExactly(1, 2);
    }

    @Test
    void backlogRunsAsSeveralBatchesOfAtMostMaxBatchTokensAndAnOversizedRequestAlone() {
        batcher = batcher(new BatchingPolicy(2, NEVER, 4096, 1));
        CompletableFuture<float[]> running = submit(1);
        runner.awaitFirstStarted();
        List<CompletableFuture<float[]>> backlog = List.of(submit(3), submit(1), submit(1));

        runner.release();

        assertThat(running).succeedsWithin(SOON);
        backlog.forEach(work -> assertThat(work).succeedsWithin(SOON));
        assertThat(runner.batchSizes()).containsExactly(1, 3, 2);
    }

    private CompletableFuture<float[]> submit(int tokens) {
        return batcher.submit(UNIT, rows(tokens), tokens, MicroBatcher.NO_DEADLINE).result();
    }

    private static float[] rows(int tokens) {
        return new float[tokens * TinyModel.HIDDEN];
    }

    private MicroBatcher batcher(BatchingPolicy policy) {
        return new MicroBatcher(units.weights(), runner, policy, now::get, registry);
    }
}
