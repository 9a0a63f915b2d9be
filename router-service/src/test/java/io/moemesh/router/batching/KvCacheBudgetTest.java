package io.moemesh.router.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.config.ModelConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class KvCacheBudgetTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");

    @Test
    void sizesARequestAsTheKvCacheAllocatesIt() {
        ModelConfig tiny = ModelConfig.load(MODEL); // 2 layers, 2 KV heads of 16
        assertThat(KvCacheBudget.bytesFor(tiny, 512)).isEqualTo(2L * 512 * (2 * 16) * 2 * Float.BYTES);
        assertThat(KvCacheBudget.bytesFor(tiny, 1)).isEqualTo(512);
    }

    @Test
    void sizesALargeModelInLongWithoutWrappingAround() {
        // 80 layers, 8 KV heads of 128, a 131,072-token context: 80 GiB for one sequence
        ModelConfig large = new ModelConfig(8192, 28672, 80, 64, 8, 128, 8, 2, 1e-5f, 1e6, 128_256, 131_072, false,
                OptionalInt.empty(), OptionalInt.empty());
        assertThat(KvCacheBudget.bytesFor(large, 131_072)).isEqualTo(80L << 30);
    }

    @Test
    void reservesNothingForWhatDoesNotFitWhatIsLeftAndNamesTheBudgetWhenItWaitedTooLong() {
        KvCacheBudget budget = new KvCacheBudget(512L << 20);
        budget.tryReserve("a", 498L << 20);

        assertThat(budget.tryReserve("b", 24L << 20)).isNull();
        assertThat(budget.reservedBytes()).isEqualTo(498L << 20);
        assertThat(budget.waitedTooLong(24L << 20, Duration.ofSeconds(30))).isEqualTo("KV cache budget 512 MiB: 498"
                + " MiB reserved by running requests, this request needs 24 MiB and waited 30 s for it"
                + " (moemesh.router.max-kv-cache-wait); retry later or lower max_tokens");
    }

    @Test
    void knowsWhatEachCallerHoldsUntilItsReservationsAreReleased() {
        KvCacheBudget budget = new KvCacheBudget(1000);
        KvCacheBudget.Reservation a1 = budget.tryReserve("a", 300);
        KvCacheBudget.Reservation a2 = budget.tryReserve("a", 200);
        budget.tryReserve("b", 100);

        assertThat(budget.reservedBy("a")).isEqualTo(500);
        assertThat(budget.reservedBy("b")).isEqualTo(100);
        assertThat(budget.reservedBy("c")).isZero();
        a1.release();
        a2.release();
        assertThat(budget.reservedBy("a")).isZero();
        assertThat(budget.freeBytes()).isEqualTo(900);
    }

    @Test
    void refusesWhatCouldNeverFitAsInvalid() {
        KvCacheBudget budget = new KvCacheBudget(512L << 20);

        assertThatThrownBy(() -> budget.tryReserve("a", 600L << 20)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs 600 MiB, more than the router's whole KV cache budget of 512 MiB"
                        + " (moemesh.router.kv-cache-budget)");
        assertThat(budget.reservedBytes()).isZero();
    }

    @Test
    void aBudgetNearLongMaxRefusesWhatDoesNotFitInsteadOfWrappingAround() {
        KvCacheBudget budget = new KvCacheBudget(Long.MAX_VALUE);
        budget.tryReserve("a", Long.MAX_VALUE - 10);

        assertThat(budget.tryReserve("b", 100)).isNull();
        assertThat(budget.reservedBytes()).isEqualTo(Long.MAX_VALUE - 10);
    }

    @Test
    void aReservationIsReleasedOnceHoweverOftenItIsReleased() {
        KvCacheBudget budget = new KvCacheBudget(1000);
        KvCacheBudget.Reservation first = budget.tryReserve("a", 400);
        budget.tryReserve("a", 300);
        first.release();
        first.release();

        assertThat(budget.reservedBytes()).isEqualTo(300);
        assertThat(budget.reservedBy("a")).isEqualTo(300);
    }

    @Test
    void formatsSizesForPeople() {
        assertThat(KvCacheBudget.format(96)).isEqualTo("96 bytes");
        assertThat(KvCacheBudget.format(256 << 10)).isEqualTo("256 KiB");
        assertThat(KvCacheBudget.format(3L << 29)).isEqualTo("1.5 GiB");
    }
}
