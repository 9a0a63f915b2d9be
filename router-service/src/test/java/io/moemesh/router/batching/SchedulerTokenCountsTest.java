package io.moemesh.router.batching;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.DenseWeights;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.routing.RoutingStatsWindow;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.SchedulerTiming;
import io.moemesh.router.grpc.RoutingStatsGrpcService;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Generated and degraded tokens: the scheduler's counts, as the routing statistics report them, when
 * an expert is unavailable and tokens that chose it are routed around.
 */
class SchedulerTokenCountsTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final SamplingParams GREEDY_12 = new SamplingParams(0f, 0, 1f, 0, 12, List.of(), true);
    private static final int UNAVAILABLE = 2;

    private ModelConfig config;
    private Checkpoint checkpoint;
    private TextTokenizer tokenizer;
    private DenseTransformer dense;
    private ExpertDispatch withoutExpert2;

    @BeforeEach
    void load() {
        config = ModelConfig.load(MODEL);
        checkpoint = Checkpoint.open(MODEL);
        tokenizer = TextTokenizer.load(MODEL);
        dense = new DenseTransformer(config, DenseWeights.load(checkpoint, config), Kernels.best(), 0);
        LocalExperts local = LocalExperts.load(checkpoint, config, Kernels.best());
        withoutExpert2 = new ExpertDispatch() {
            @Override
            public void combine(int layer, float[] hidden, int tokens, GateDecision[] routes, float[] out) {
                local.combine(layer, hidden, tokens, routes, out);
            }

            @Override
            public boolean isAvailable(int layer, int expert) {
                return expert != UNAVAILABLE;
            }
        };
    }

    @AfterEach
    void close() {
        tokenizer.close();
        checkpoint.close();
    }

    @Test
    void countsGeneratedTokensAndTheForwardTokensThatMissedAnExpert() throws IOException {
        BatchScheduler scheduler = new BatchScheduler(dense, withoutExpert2, tokenizer,
                SchedulerProperties.defaults(), RoutingObserver.NONE);
        int[] prompt = tokenizer.encode("The quick brown fox jumps over the lazy dog");
        BatchSchedulerTest.Collector request = new BatchSchedulerTest.Collector();
        scheduler.submit(prompt, GREEDY_12, request);
        while (!request.done.isDone()) {
            scheduler.step();
        }
        request.done.join();
        SchedulerStats stats = scheduler.stats();
        int generated = request.tokens.size();

        // the same positions in one pass: the prompt and every generated token but the last (never fed back)
        int[] fed = IntStream.concat(IntStream.of(prompt),
                request.tokens.stream().limit(generated - 1).mapToInt(Integer::intValue)).toArray();
        long expectedDegraded = degradedPositions(fed);

        assertThat(generated).isEqualTo(12);
        assertThat(stats.generatedTokens()).isEqualTo(generated);
        assertThat(stats.forwardTokens()).isEqualTo(fed.length);
        assertThat(expectedDegraded).as("the test needs tokens that chose expert 2").isPositive()
                .isLessThan(fed.length);
        assertThat(stats.degradedTokens()).isEqualTo(expectedDegraded);
        assertThat(request.skipped).isNotEmpty();

        SchedulerTiming reported = serve(stats).getScheduler();
        assertThat(reported.getGeneratedTokens()).isEqualTo(generated);
        assertThat(reported.getDegradedTokens()).isEqualTo(expectedDegraded);
        assertThat(reported.getTokens()).isEqualTo(fed.length);
    }

    /** Positions of {@code ids} that skipped at least one chosen expert in some layer, scored in one pass. */
    private long degradedPositions(int[] ids) {
        BitSet degraded = new BitSet();
        try (InProcessEngine engine = InProcessEngine.open(MODEL, Kernels.best(), 0, withoutExpert2)) {
            engine.score(ids, new RoutingObserver() {
                @Override
                public void onRoute(int layer, int token, GateDecision decision) {
                }

                @Override
                public void onSkip(int layer, int token, int expert) {
                    degraded.set(token);
                }
            });
        }
        return degraded.cardinality();
    }

    private io.moemesh.proto.internal.v1.RoutingStatsSnapshot serve(SchedulerStats stats) throws IOException {
        RoutingStatsWindow window = new RoutingStatsWindow(config.numLayers(), config.numExperts(),
                Duration.ofMinutes(1), 6, Clock.systemUTC());
        String name = InProcessServerBuilder.generateName();
        Server server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(new RoutingStatsGrpcService(window, Optional::empty, Optional.of(stats))).build().start();
        ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        try {
            return RoutingStatsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getRoutingStats(GetRoutingStatsRequest.getDefaultInstance());
        } finally {
            channel.shutdownNow();
            server.shutdownNow();
        }
    }
}
