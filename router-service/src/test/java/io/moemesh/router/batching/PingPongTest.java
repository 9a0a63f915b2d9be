package io.moemesh.router.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class PingPongTest {

    /** A request of the test: its tokens in the step. */
    private record Req(int tokens) {
    }

    private static float[] rowsOf(List<Req> half) {
        float[] rows = new float[half.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = half.get(i).tokens();
        }
        return rows;
    }

    @Test
    void splitsWhereHalfTheTokensAreReached() {
        try (PingPong p = new PingPong(4)) {
            assertThat(p.split(List.of(new Req(1), new Req(1), new Req(1), new Req(1)), Req::tokens)).isEqualTo(2);
            // a long prompt first: it alone is half the step
            assertThat(p.split(List.of(new Req(30), new Req(1), new Req(1)), Req::tokens)).isEqualTo(1);
            // a long prompt last: the second half is that prompt alone
            assertThat(p.split(List.of(new Req(1), new Req(1), new Req(30)), Req::tokens)).isEqualTo(2);
        }
    }

    @Test
    void smallStepsOneRequestAndOffRunAsOneBatch() {
        try (PingPong p = new PingPong(4); PingPong off = new PingPong(0)) {
            assertThat(p.split(List.of(new Req(1), new Req(1), new Req(1)), Req::tokens)).isEqualTo(-1);
            assertThat(p.split(List.of(new Req(40)), Req::tokens)).isEqualTo(-1);
            assertThat(off.split(List.of(new Req(8), new Req(8)), Req::tokens)).isEqualTo(-1);
            assertThat(off.enabled()).isFalse();
        }
        assertThatThrownBy(() -> new PingPong(-1)).hasMessageContaining(">= 0");
    }

    @Test
    void bothHalvesAreInFlightAtOnceAndTheRowsComeBackInBatchOrder() {
        CyclicBarrier bothRunning = new CyclicBarrier(2);
        List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        Function<List<Req>, float[]> forward = half -> {
            threads.add(Thread.currentThread().getName());
            try {
                bothRunning.await(10, TimeUnit.SECONDS); // fails unless the other half runs at the same time
            } catch (Exception e) {
                throw new IllegalStateException("the halves did not overlap", e);
            }
            return rowsOf(half);
        };
        try (PingPong p = new PingPong(2)) {
            float[] rows = p.forward(List.of(new Req(1), new Req(2), new Req(3), new Req(4)), r -> 1, forward);

            assertThat(rows).containsExactly(1f, 2f, 3f, 4f);
            assertThat(threads).hasSize(2).contains("router-ping-pong", Thread.currentThread().getName());
        }
    }

    @Test
    void aFailingHalfFailsTheStepOnlyOnceTheOtherHalfHasEnded() {
        AtomicBoolean secondEnded = new AtomicBoolean();
        Function<List<Req>, float[]> forward = half -> {
            if (half.getFirst().tokens() == 1) {
                throw new IllegalStateException("first half failed");
            }
            sleep(200);
            secondEnded.set(true);
            return rowsOf(half);
        };
        try (PingPong p = new PingPong(2)) {
            assertThatThrownBy(() -> p.forward(List.of(new Req(1), new Req(2)), r -> 1, forward))
                    .hasMessage("first half failed")
                    .satisfies(e -> assertThat(secondEnded).isTrue());
        }
    }

    @Test
    void theSecondHalfsFailureIsThrownAsItself() {
        Function<List<Req>, float[]> forward = half -> {
            if (half.getFirst().tokens() == 2) {
                throw new UnsupportedOperationException("second half failed");
            }
            return rowsOf(half);
        };
        try (PingPong p = new PingPong(2)) {
            assertThatThrownBy(() -> p.forward(List.of(new Req(1), new Req(2)), r -> 1, forward))
                    .isInstanceOf(UnsupportedOperationException.class).hasMessage("second half failed");
        }
    }

    @Test
    void anInterruptReachesThePartnerAndStaysSetOnTheCaller() throws Exception {
        CountDownLatch partnerWaiting = new CountDownLatch(1);
        AtomicBoolean partnerInterrupted = new AtomicBoolean();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean callerStillInterrupted = new AtomicBoolean();
        Function<List<Req>, float[]> forward = half -> {
            if (half.getFirst().tokens() == 1) {
                return rowsOf(half);
            }
            partnerWaiting.countDown();
            try {
                Thread.sleep(60_000); // an expert call that never answers
            } catch (InterruptedException e) {
                partnerInterrupted.set(true);
                throw new IllegalStateException("cancelled");
            }
            return rowsOf(half);
        };
        try (PingPong p = new PingPong(2)) {
            Thread caller = Thread.ofPlatform().start(() -> {
                try {
                    p.forward(List.of(new Req(1), new Req(2)), r -> 1, forward);
                } catch (Throwable t) {
                    thrown.set(t);
                }
                callerStillInterrupted.set(Thread.currentThread().isInterrupted());
            });
            assertThat(partnerWaiting.await(10, TimeUnit.SECONDS)).isTrue();
            caller.interrupt();
            caller.join(10_000);

            assertThat(caller.isAlive()).isFalse();
            assertThat(partnerInterrupted).isTrue();
            assertThat(thrown.get()).hasMessage("cancelled");
            assertThat(callerStillInterrupted).isTrue();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
