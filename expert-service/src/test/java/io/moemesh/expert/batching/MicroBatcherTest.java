package io.moemesh.expert.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.expert.TinyModel;
import io.moemesh.expert.grpc.GatedFfnRunner;
import io.moemesh.expert.unit.HostedUnits;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.expert.unit.UnitPlacement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The batcher on its own, with a clock the test moves. */
class MicroBatcherTest {

    private static final UnitId UNIT = new UnitId(1, 2);
    private static final float[] ONE_ROW = new float[TinyModel.HIDDEN];

    private final AtomicLong now = new AtomicLong(1_000);
    private final GatedFfnRunner runner = new GatedFfnRunner();
    private final HostedUnits units = HostedUnits.load(TinyModel.dir(), new UnitPlacement(List.of(2), List.of()));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private MicroBatcher batcher;

    @AfterEach
    void close() {
        runner.release();
        batcher.close();
        units.close();
    }

    @Test
    void workWhoseDeadlinePassesWhileQueuedIsDroppedWithoutBeingComputed() {
        batcher = batcher(new BatchingPolicy(256, Duration.ZERO, 4096, 1));
        CompletableFuture<float[]> running = batcher.submit(UNIT, ONE_ROW, 1, MicroBatcher.NO_DEADLINE).result();
        runner.awaitFirstStarted();
        CompletableFuture<float[]> expiring = batcher.submit(UNIT, ONE_ROW, 1, now.get() + 100).result();

        now.addAndGet(101);
        runner.release();

        Throwable failure = catchThrowable(() -> expiring.get(5, TimeUnit.SECONDS));
        assertThat(failure).isInstanceOf(ExecutionException.class).cause().isInstanceOf(RejectedWorkException.class)
                .hasMessageContaining("deadline expired after").hasMessageContaining("in the expert 2 layer 1 queue");
        assertThat(((RejectedWorkException) failure.getCause()).reason())
                .isEqualTo(RejectedWorkException.Reason.DEADLINE_EXCEEDED);
        assertThat(running).succeedsWithin(Duration.ofSeconds(5));
        assertThat(runner.batchSizes()).containsExactly(1);
    }

    @Test
    void requestLargerThanTheQueueIsRefusedWithAHintToSplitIt() {
        batcher = batcher(new BatchingPolicy(256, Duration.ZERO, 2, 1));

        Throwable refused = catchThrowable(() -> batcher.submit(UNIT, new float[3 * TinyModel.HIDDEN], 3,
                MicroBatcher.NO_DEADLINE));

        assertThat(refused).isInstanceOf(RejectedWorkException.class)
                .hasMessage("expert 2 layer 1 queue holds at most 2 tokens but the request has 3 for it; split the request");
    }

    @Test
    void closingRefusesNewWork() {
        batcher = batcher(new BatchingPolicy(256, Duration.ZERO, 4096, 1));
        batcher.close();

        Throwable refused = catchThrowable(() -> batcher.submit(UNIT, ONE_ROW, 1, MicroBatcher.NO_DEADLINE));

        assertThat(refused).isInstanceOf(RejectedWorkException.class)
                .extracting(e -> ((RejectedWorkException) e).reason())
                .isEqualTo(RejectedWorkException.Reason.SHUTTING_DOWN);
    }

    @Test
    void closingFailsWorkQueuedBehindARunningBatch() {
        batcher = batcher(new BatchingPolicy(256, Duration.ofHours(1), 4096, 1));
        batcher.submit(UNIT, ONE_ROW, 1, MicroBatcher.NO_DEADLINE);
        runner.awaitFirstStarted();
        CompletableFuture<float[]> queued = batcher.submit(UNIT, ONE_ROW, 1, MicroBatcher.NO_DEADLINE).result();

        batcher.close();

        Throwable failure = catchThrowable(() -> queued.get(5, TimeUnit.SECONDS));
        assertThat(failure).isInstanceOf(ExecutionException.class).cause().isInstanceOf(RejectedWorkException.class)
                .extracting(e -> ((RejectedWorkException) e).reason())
                .isEqualTo(RejectedWorkException.Reason.SHUTTING_DOWN);
        assertThat(batcher.queuedTokens(UNIT)).isZero();
    }

    @Test
    void releasedUnitFinishesItsQueuedWorkButTakesNoMore() {
        batcher = batcher(new BatchingPolicy(256, Duration.ZERO, 4096, 1));
        CompletableFuture<float[]> running = batcher.submit(UNIT, ONE_ROW, 1, MicroBatcher.NO_DEADLINE).result();
        runner.awaitFirstStarted();
        CompletableFuture<float[]> queued = batcher.submit(UNIT, ONE_ROW, 1, MicroBatcher.NO_DEADLINE).result();

        batcher.release(List.of(UNIT));
        Throwable refused = catchThrowable(() -> batcher.submit(UNIT, ONE_ROW, 1, MicroBatcher.NO_DEADLINE));
        runner.release();

        assertThat(refused).isInstanceOf(UnitNotServedException.class)
                .hasMessage("expert 2 layer 1 is not served by this batcher");
        assertThat(running).succeedsWithin(Duration.ofSeconds(5));
        assertThat(queued).succeedsWithin(Duration.ofSeconds(5));
        assertThat(runner.batchSizes()).containsExactly(1, 1);
        assertThat(batcher.units()).doesNotContain(UNIT).contains(new UnitId(0, 2));
    }

    @Test
    void releasingAUnitRemovesItsMetersAndHostingItAgainRegistersThemAnew() {
        batcher = batcher(new BatchingPolicy(256, Duration.ZERO, 4096, 1));
        ExpertWeights weights = units.weights().get(UNIT);

        batcher.release(List.of(UNIT));

        assertThat(registry.find(UnitMetrics.QUEUE_TOKENS).tag("layer", "1").meters()).isEmpty();
        assertThat(registry.find(UnitMetrics.REJECTED).tag("layer", "1").meters()).isEmpty();
        assertThat(registry.find(UnitMetrics.QUEUE_TOKENS).tag("layer", "0").meters()).hasSize(1);
        batcher.host(Map.of(UNIT, weights));
        runner.release();
        assertThat(batcher.submit(UNIT, ONE_ROW, 1, MicroBatcher.NO_DEADLINE).result())
                .succeedsWithin(Duration.ofSeconds(5));
        assertThat(registry.get(UnitMetrics.TOKENS).tag("layer", "1").counter().count()).isEqualTo(1);
    }

    @Test
    void closingFailsWorkLeftInAReleasedQueue() {
        batcher = batcher(new BatchingPolicy(256, Duration.ofHours(1), 4096, 1));
        batcher.submit(UNIT, ONE_ROW, 1, MicroBatcher.NO_DEADLINE);
        runner.awaitFirstStarted();
        CompletableFuture<float[]> queued = batcher.submit(UNIT, ONE_ROW, 1, MicroBatcher.NO_DEADLINE).result();
        batcher.release(List.of(UNIT));

        batcher.close();

        Throwable failure = catchThrowable(() -> queued.get(5, TimeUnit.SECONDS));
        assertThat(failure).cause().isInstanceOf(RejectedWorkException.class)
                .extracting(e -> ((RejectedWorkException) e).reason())
                .isEqualTo(RejectedWorkException.Reason.SHUTTING_DOWN);
    }

    private MicroBatcher batcher(BatchingPolicy policy) {
        return new MicroBatcher(units.weights(), runner, policy, now::get, registry);
    }
}
