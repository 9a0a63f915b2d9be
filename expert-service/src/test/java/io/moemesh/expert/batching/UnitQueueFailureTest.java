package io.moemesh.expert.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.expert.TinyModel;
import io.moemesh.expert.grpc.FailingOnceFfnRunner;
import io.moemesh.expert.grpc.GatedFfnRunner;
import io.moemesh.expert.unit.HostedUnits;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.expert.unit.UnitPlacement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A batch that throws, wherever it throws: its work always completes, and the unit's queue goes on. */
class UnitQueueFailureTest {

    private static final UnitId UNIT = new UnitId(1, 2);
    private static final float[] ONE_ROW = new float[TinyModel.HIDDEN];
    private static final BatchingPolicy ONE_WORKER = new BatchingPolicy(256, Duration.ZERO, 4096, 1);

    private final AtomicBoolean clockBroken = new AtomicBoolean();
    private final Ticker clock = () -> {
        if (clockBroken.compareAndSet(true, false)) {
            throw new IllegalStateException("clock failed (test)");
        }
        return System.nanoTime();
    };
    private final HostedUnits units = HostedUnits.load(TinyModel.dir(), new UnitPlacement(List.of(2), List.of()));
    private final GatedFfnRunner gated = new GatedFfnRunner();
    private MicroBatcher batcher;

    @AfterEach
    void close() {
        gated.release();
        batcher.close();
        units.close();
    }

    @Test
    void workOfABatchThatFailsAfterItsForwardPassFailsAtOnce() {
        batcher = new MicroBatcher(units.weights(), gated, ONE_WORKER, clock, new SimpleMeterRegistry());

        CompletableFuture<float[]> failed = failAfterForwardPass();

        Throwable failure = catchThrowable(() -> failed.get(5, TimeUnit.SECONDS));
        assertThat(failure).isInstanceOf(ExecutionException.class).cause().isInstanceOf(RejectedWorkException.class)
                .hasMessage("expert 2 layer 1 batch failed (java.lang.IllegalStateException: clock failed (test)); "
                        + "see the expert service log");
        assertThat(((RejectedWorkException) failure.getCause()).reason()).isEqualTo(RejectedWorkException.Reason.FAILED);
    }

    @Test
    void errorInABatchFailsItsWorkAndMarksTheBatcherUnhealthy() {
        OutOfMemoryError error = new OutOfMemoryError("Java heap space (test)");
        batcher = new MicroBatcher(units.weights(), FailingOnceFfnRunner.throwing(error), ONE_WORKER, clock,
                new SimpleMeterRegistry());
        List<String> told = new CopyOnWriteArrayList<>();
        batcher.onFatalFailure(told::add);

        CompletableFuture<float[]> failed = batcher.submit(UNIT, ONE_ROW, 1, MicroBatcher.NO_DEADLINE).result();

        Throwable failure = catchThrowable(() -> failed.get(5, TimeUnit.SECONDS));
        assertThat(failure).cause().isInstanceOf(RejectedWorkException.class).hasCause(error);
        assertThat(batcher.healthy()).isFalse();
        assertThat(told).containsExactly("expert 2 layer 1 batch failed with java.lang.OutOfMemoryError: "
                + "Java heap space (test)");
    }

    @Test
    void listenerAddedAfterTheFatalFailureIsToldAtOnce() {
        batcher = new MicroBatcher(units.weights(), FailingOnceFfnRunner.throwing(new OutOfMemoryError("test")),
                ONE_WORKER, clock, new SimpleMeterRegistry());
        CompletableFuture<float[]> failed = batcher.submit(UNIT, ONE_ROW, 1, MicroBatcher.NO_DEADLINE).result();
        assertThat(catchThrowable(() -> failed.get(5, TimeUnit.SECONDS))).isInstanceOf(ExecutionException.class);
        List<String> told = new CopyOnWriteArrayList<>();

        batcher.onFatalFailure(told::add);

        assertThat(told).containsExactly("expert 2 layer 1 batch failed with java.lang.OutOfMemoryError: test");
    }

    /** One request whose batch throws on the clock read that follows its forward pass. */
    private CompletableFuture<float[]> failAfterForwardPass() {
        CompletableFuture<float[]> work = batcher.submit(UNIT, ONE_ROW, 1, MicroBatcher.NO_DEADLINE).result();
        gated.awaitFirstStarted();
        clockBroken.set(true);
        gated.release();
        return work;
    }
}
