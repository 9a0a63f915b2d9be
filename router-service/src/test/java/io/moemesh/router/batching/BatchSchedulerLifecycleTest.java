package io.moemesh.router.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.DenseWeights;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.router.batching.BatchSchedulerTest.Collector;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The batch scheduler's own lifecycle: an Error that kills its loop, submits that race the loop's death
 * or the final drain, closing one that never started, and the health it reports while a step hangs
 * or while it idles. (What it generates and how it fails single requests: {@link BatchSchedulerTest}.)
 */
class BatchSchedulerLifecycleTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final SamplingParams GREEDY_12 = new SamplingParams(0f, 0, 1f, 0, 12, List.of(), true);

    private Checkpoint checkpoint;
    private TextTokenizer tokenizer;
    private DenseTransformer dense;
    private LocalExperts local;

    @BeforeEach
    void load() {
        ModelConfig config = ModelConfig.load(MODEL);
        checkpoint = Checkpoint.open(MODEL);
        tokenizer = TextTokenizer.load(MODEL);
        dense = new DenseTransformer(config, DenseWeights.load(checkpoint, config), Kernels.best(), 0);
        local = LocalExperts.load(checkpoint, config, Kernels.best());
    }

    @AfterEach
    void close() {
        tokenizer.close();
        checkpoint.close();
    }

    private BatchScheduler scheduler(ExpertDispatch experts, SchedulerProperties limits) {
        return new BatchScheduler(dense, experts, tokenizer, limits, RoutingObserver.NONE);
    }

    @Test
    void anErrorStopsTheLoopFailsEveryRequestRefusesNewOnesAndIsFatal() {
        AtomicBoolean outOfMemory = new AtomicBoolean();
        CountDownLatch bothQueued = new CountDownLatch(1);
        ExpertDispatch dying = (layer, hidden, tokens, routes, out) -> {
            awaitQuietly(bothQueued);
            if (outOfMemory.get()) {
                throw new OutOfMemoryError("Java heap space (simulated)");
            }
            local.combine(layer, hidden, tokens, routes, out);
        };
        BatchScheduler s = scheduler(dying, SchedulerProperties.defaults());
        outOfMemory.set(true);
        s.start();
        Collector first = new Collector();
        Collector second = new Collector();
        s.submit(new int[] {'a'}, GREEDY_12, first);
        s.submit(new int[] {'b'}, GREEDY_12, second);
        bothQueued.countDown();

        await().atMost(Duration.ofSeconds(10)).until(() -> first.done.isDone() && second.done.isDone());
        assertThat(first.done).isCompletedExceptionally();
        assertThat(second.done).isCompletedExceptionally();
        SchedulerHealth health = s.health(Duration.ofSeconds(30));
        assertThat(health.serving()).isFalse();
        assertThat(health.fatal()).isTrue();
        assertThat(health.reason()).contains("OutOfMemoryError");
        assertThatThrownBy(() -> s.submit(new int[] {'c'}, GREEDY_12, new Collector()))
                .isInstanceOf(SchedulerStoppedException.class).hasMessageContaining("stopped");
    }

    /**
     * A scheduler whose clock runs {@code hook} once, on the thread that armed it, when {@code submit}
     * reads the clock: after its checks that the scheduler takes work, before it queues the request.
     */
    private BatchScheduler schedulerWithSubmitHook(ExpertDispatch experts, AtomicReference<Runnable> hook) {
        Thread submitter = Thread.currentThread();
        LongSupplier clock = () -> {
            Runnable once = Thread.currentThread() == submitter ? hook.getAndSet(null) : null;
            if (once != null) {
                once.run();
            }
            return System.nanoTime();
        };
        return new BatchScheduler(dense, experts, tokenizer, SchedulerProperties.defaults(), RoutingObserver.NONE,
                new SchedulerStats(), clock);
    }

    @Test
    void aSubmitThatRacesTheShutdownsFinalDrainIsRefusedNotLeftUnanswered() {
        AtomicReference<Runnable> betweenCheckAndOffer = new AtomicReference<>();
        BatchScheduler s = schedulerWithSubmitHook(local, betweenCheckAndOffer);
        s.start();
        betweenCheckAndOffer.set(s::close); // the loop drains and ends between the submit's check and its offer

        assertThatThrownBy(() -> s.submit(new int[] {'a'}, GREEDY_12, new Collector()))
                .isInstanceOf(SchedulerStoppedException.class)
                .hasMessage("router is shutting down; retry on another router");
        assertThat(s.load()).isZero();
    }

    @Test
    void aSubmitThatRacesTheLoopsDeathIsRefusedNotLeftUnanswered() {
        ExpertDispatch dying = (layer, hidden, tokens, routes, out) -> {
            throw new OutOfMemoryError("Java heap space (simulated)");
        };
        AtomicReference<Runnable> betweenCheckAndOffer = new AtomicReference<>();
        BatchScheduler s = schedulerWithSubmitHook(dying, betweenCheckAndOffer);
        s.start();
        Collector victim = new Collector();
        betweenCheckAndOffer.set(() -> { // a request kills the loop, which fails everything it holds
            s.submit(new int[] {'v'}, GREEDY_12, victim);
            await().atMost(Duration.ofSeconds(10)).until(victim.done::isDone);
        });

        assertThatThrownBy(() -> s.submit(new int[] {'a'}, GREEDY_12, new Collector()))
                .isInstanceOf(SchedulerStoppedException.class)
                .hasMessage("the router's batch scheduler stopped; the router is restarting, retry on another router");
        assertThat(victim.done).isCompletedExceptionally();
        assertThat(s.load()).isZero();
    }

    @Test
    void closingASchedulerThatNeverStartedAnswersWhatItQueued() {
        BatchScheduler s = scheduler(local, SchedulerProperties.defaults());
        Collector queued = new Collector();
        s.submit(new int[] {'a'}, GREEDY_12, queued);

        s.close();

        assertThatThrownBy(queued.done.orTimeout(10, TimeUnit.SECONDS)::join).cause()
                .isInstanceOf(SchedulerStoppedException.class);
        assertThatThrownBy(() -> s.submit(new int[] {'b'}, GREEDY_12, new Collector()))
                .isInstanceOf(SchedulerStoppedException.class);
        assertThat(s.load()).isZero();
    }

    /** Clients (through the gateway, which relays UNAVAILABLE) must not read the router's exception text. */
    @Test
    void whatKilledTheLoopIsInHealthNotInWhatClientsAreTold() {
        ExpertDispatch dying = (layer, hidden, tokens, routes, out) -> {
            throw new OutOfMemoryError("Java heap space (simulated)");
        };
        BatchScheduler s = scheduler(dying, SchedulerProperties.defaults());
        Collector running = new Collector();
        s.submit(new int[] {'a'}, GREEDY_12, running);
        s.start();

        await().atMost(Duration.ofSeconds(10)).until(running.done::isDone);
        assertThat(s.health(Duration.ofSeconds(30)).reason()).contains("Java heap space (simulated)");
        assertThatThrownBy(running.done::join).cause().isInstanceOf(SchedulerStoppedException.class)
                .message().doesNotContain("OutOfMemoryError").doesNotContain("Java heap space");
        assertThatThrownBy(() -> s.submit(new int[] {'b'}, GREEDY_12, new Collector()))
                .isInstanceOf(SchedulerStoppedException.class)
                .hasMessage("the router's batch scheduler stopped; the router is restarting, retry on another router");
    }

    @Test
    void healthTurnsFalseWhileAStepHangsWithWorkWaitingAndRecovers() {
        AtomicLong clock = new AtomicLong();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        ExpertDispatch hanging = (layer, hidden, tokens, routes, out) -> {
            entered.countDown();
            awaitQuietly(release);
            local.combine(layer, hidden, tokens, routes, out);
        };
        BatchScheduler s = new BatchScheduler(dense, hanging, tokenizer, SchedulerProperties.defaults(),
                RoutingObserver.NONE, new SchedulerStats(), clock::get);
        Duration stall = Duration.ofSeconds(30);
        s.start();
        assertThat(s.health(stall).serving()).isTrue();
        Collector c = new Collector();
        s.submit(new int[] {'a'}, GREEDY_12, c);
        awaitQuietly(entered);

        clock.addAndGet(Duration.ofSeconds(31).toNanos());
        SchedulerHealth stalled = s.health(stall);
        release.countDown();

        assertThat(stalled.serving()).isFalse();
        assertThat(stalled.fatal()).isFalse();
        assertThat(stalled.reason()).contains("no batch step finished");
        await().atMost(Duration.ofSeconds(10)).until(() -> c.done.isDone());
        await().atMost(Duration.ofSeconds(10)).until(() -> s.health(stall).serving());
        s.close();
    }

    @Test
    void anIdleSchedulerIsHealthyHoweverLongItWaits() {
        AtomicLong clock = new AtomicLong();
        BatchScheduler s = new BatchScheduler(dense, local, tokenizer, SchedulerProperties.defaults(),
                RoutingObserver.NONE, new SchedulerStats(), clock::get);
        clock.addAndGet(Duration.ofHours(1).toNanos());

        assertThat(s.health(Duration.ofSeconds(30)).serving()).isTrue();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
