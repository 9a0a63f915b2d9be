package io.moemesh.expert.batching;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.expert.TinyModel;
import io.moemesh.expert.grpc.GatedFfnRunner;
import io.moemesh.expert.unit.HostedUnits;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.expert.unit.UnitPlacement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A unit's batch-size histogram and queue delay, with a clock the test moves and a forward pass it holds. */
class UnitMetricsTest {

    private static final UnitId UNIT = new UnitId(1, 2);
    private static final long SEVEN_MS = 7_000_000;

    private final AtomicLong now = new AtomicLong(1_000);
    private final GatedFfnRunner runner = new GatedFfnRunner();
    private final HostedUnits units = HostedUnits.load(TinyModel.dir(), new UnitPlacement(List.of(2), List.of()));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    // one worker, and a queue delay no test reaches: queued work waits for the running batch
    private final MicroBatcher batcher = new MicroBatcher(units.weights(), runner,
            new BatchingPolicy(256, Duration.ofHours(1), 4096, 1), now::get, registry);

    @AfterEach
    void close() {
        runner.release();
        batcher.close();
        units.close();
    }

    private CompletableFuture<float[]> submit(int tokens) {
        return batcher.submit(UNIT, new float[tokens * TinyModel.HIDDEN], tokens, MicroBatcher.NO_DEADLINE).result();
    }

    /** Runs a batch of 1 token, and while it runs queues 2 + 1 tokens that wait 7 ms for it. */
    private void runOneThenThreeAfterSevenMillis() {
        CompletableFuture<float[]> first = submit(1);
        runner.awaitFirstStarted();
        CompletableFuture<float[]> second = submit(2);
        CompletableFuture<float[]> third = submit(1);
        now.addAndGet(SEVEN_MS);
        runner.release();
        CompletableFuture.allOf(first, second, third).orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(runner.batchSizes()).containsExactly(1, 3);
    }

    @Test
    void queueDelayIsTheTimeFromEnqueueToTheStartOfTheBatchThatRunsIt() {
        runOneThenThreeAfterSevenMillis();

        Timer delay = registry.get(UnitMetrics.QUEUE_DELAY).tags("layer", "1", "expert", "2").timer();
        assertThat(delay.count()).as("one per request").isEqualTo(3);
        assertThat(delay.totalTime(TimeUnit.NANOSECONDS)).as("0 + 7 + 7 ms").isEqualTo(2 * SEVEN_MS);
        assertThat(delay.max(TimeUnit.NANOSECONDS)).isEqualTo(SEVEN_MS);
        assertThat(cumulativeCounts(delay.takeSnapshot().histogramCounts(), 5.0e6, 10.0e6))
                .as("at most 5 ms, at most 10 ms").containsExactly(1.0, 3.0);
    }

    @Test
    void batchTokensIsAHistogramOverPowersOfTwo() {
        runOneThenThreeAfterSevenMillis();

        var batches = registry.get(UnitMetrics.BATCH_TOKENS).tags("layer", "1", "expert", "2").summary();
        assertThat(batches.count()).isEqualTo(2);
        assertThat(batches.totalAmount()).isEqualTo(4);
        CountAtBucket[] buckets = batches.takeSnapshot().histogramCounts();
        assertThat(Arrays.stream(buckets).mapToDouble(CountAtBucket::bucket).toArray())
                .containsExactly(1, 2, 4, 8, 16, 32, 64, 128, 256, 512);
        assertThat(cumulativeCounts(buckets, 1, 2, 4, 512)).containsExactly(1.0, 1.0, 2.0, 2.0);
        assertThat(registry.get(UnitMetrics.TOKENS).tags("layer", "1", "expert", "2").counter().count()).isEqualTo(4);
    }

    @Test
    void aReleasedUnitTakesItsQueueDelayAway() {
        runOneThenThreeAfterSevenMillis();

        batcher.release(List.of(UNIT));

        assertThat(registry.find(UnitMetrics.QUEUE_DELAY).tags("layer", "1", "expert", "2").timers()).isEmpty();
        assertThat(registry.find(UnitMetrics.BATCH_TOKENS).tags("layer", "1", "expert", "2").summaries()).isEmpty();
        assertThat(registry.find(UnitMetrics.QUEUE_DELAY).tags("layer", "0", "expert", "2").timers())
                .as("expert 2 of layer 0 is still served").hasSize(1);
    }

    /** The cumulative count at each of {@code bounds}, as the snapshot holds them. */
    private static double[] cumulativeCounts(CountAtBucket[] buckets, double... bounds) {
        return Arrays.stream(bounds).map(bound -> Arrays.stream(buckets).filter(b -> b.bucket() == bound)
                .findFirst().orElseThrow(() -> new AssertionError("no bucket at " + bound)).count()).toArray();
    }
}
