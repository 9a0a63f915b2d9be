package io.moemesh.expert.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.expert.TinyModel;
import io.moemesh.expert.batching.BatchingPolicy;
import io.moemesh.expert.batching.ExpertFfnRunner;
import io.moemesh.expert.batching.MicroBatcher;
import io.moemesh.expert.batching.QueuedWork;
import io.moemesh.expert.batching.Ticker;
import io.moemesh.expert.unit.HostedUnits;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.expert.unit.UnitPlacement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A compute call always completes, even when the callback that combines its units' outputs throws. */
class ComputeCallTest {

    private final HostedUnits units = HostedUnits.load(TinyModel.dir(), new UnitPlacement(List.of(3), List.of()));
    private final MicroBatcher batcher = new MicroBatcher(units.weights(), new ExpertFfnRunner(Kernels.best()),
            new BatchingPolicy(256, Duration.ZERO, 4096, 1), Ticker.system(), new SimpleMeterRegistry());

    @AfterEach
    void close() {
        batcher.close();
        units.close();
    }

    @Test
    void failsWithInternalWhenCombiningTheOutputsThrows() {
        QueuedWork work = batcher.submit(new UnitId(0, 3), new float[TinyModel.HIDDEN], 1, MicroBatcher.NO_DEADLINE);
        // token 5 of a one-token request: combining writes past the output and throws
        ExpertGroup broken = new ExpertGroup(3, new int[] {5}, new float[] {1f}, new int[] {5});

        ComputeCall call = new ComputeCall(1, TinyModel.HIDDEN, List.of(broken), List.of(work));

        Throwable failure = catchThrowable(() -> call.result().get(5, TimeUnit.SECONDS));
        assertThat(failure).isInstanceOf(ExecutionException.class).cause().isInstanceOf(ComputeException.class)
                .hasMessageStartingWith("combining the experts' outputs failed: "
                        + "java.lang.ArrayIndexOutOfBoundsException");
        assertThat(((ComputeException) failure.getCause()).kind()).isEqualTo(ComputeException.Kind.INTERNAL);
    }
}
