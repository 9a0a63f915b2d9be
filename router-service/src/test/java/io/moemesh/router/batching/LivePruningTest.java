package io.moemesh.router.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.model.PrunedExperts;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Make-before-break for the pruned set: an install returns only when steps on earlier sets are done. */
class LivePruningTest {

    private static final PrunedExperts EXPERT_3 = PrunedExperts.of(2, 8,
            List.of(new PrunedExperts.Unit(0, 3), new PrunedExperts.Unit(1, 3)));

    @Test
    void aStepKeepsTheSetItStartedWithAndTheInstallWaitsForIt() throws Exception {
        LivePruning pruning = new LivePruning(Duration.ofSeconds(30));
        LivePruning.Step running = pruning.enter();

        CompletableFuture<LivePruning.Installed> install = CompletableFuture.supplyAsync(() -> {
            try {
                return pruning.install(EXPERT_3, "cold");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });

        // the new set routes new steps at once, while the install still waits for the old step
        org.awaitility.Awaitility.await().until(() -> pruning.current().experts().equals(EXPERT_3));
        try (LivePruning.Step next = pruning.enter()) {
            assertThat(next.experts()).isEqualTo(EXPERT_3);
        }
        assertThat(running.experts()).isEqualTo(PrunedExperts.NONE);
        assertThat(install).isNotDone();
        running.close();
        assertThat(install.get(10, TimeUnit.SECONDS).reason()).isEqualTo("cold");
    }

    @Test
    void anInstallThatOutwaitsItsTimeoutLeavesTheNewSetInstalledAndSaysWhatToDo() {
        LivePruning pruning = new LivePruning(Duration.ofMillis(50));
        pruning.enter(); // never ends

        assertThatThrownBy(() -> pruning.install(EXPERT_3, "cold"))
                .isInstanceOf(PruningDrainTimeoutException.class)
                .hasMessageContaining("1 forward step(s)").hasMessageContaining("call it again");
        assertThat(pruning.current().experts()).isEqualTo(EXPERT_3);
    }

    @Test
    void anEmptySetHasNoReason() throws InterruptedException {
        LivePruning pruning = new LivePruning(Duration.ofSeconds(1));

        assertThat(pruning.install(PrunedExperts.NONE, "restored").reason()).isEmpty();
        assertThat(pruning.install(EXPERT_3, "cold").reason()).isEqualTo("cold");
    }
}
