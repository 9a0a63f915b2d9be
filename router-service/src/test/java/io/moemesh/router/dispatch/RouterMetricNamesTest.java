package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.Generation;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenLogprobs;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.DenseWeights;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.core.routing.RoutingStatsWindow;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.router.batching.BatchScheduler;
import io.moemesh.router.batching.GenerationSink;
import io.moemesh.router.batching.SchedulerProperties;
import io.moemesh.router.batching.ReroutedExpert;
import io.moemesh.router.health.SchedulerMetrics;
import io.moemesh.router.health.StepTraceMetrics;
import io.moemesh.router.health.UnitTokenMetrics;
import io.moemesh.router.tracing.StepSpans;
import io.moemesh.testing.DocumentedMetrics;
import io.moemesh.testing.PrometheusMetrics;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The router's meters as Prometheus scrapes them, after a request through the batch scheduler and
 * remote expert endpoints (expert 2 hosted nowhere, so some tokens are degraded): the agreed names and
 * types, per-unit tokens equal to the routing statistics window, and every {@code moemesh_*} family
 * documented in {@code docs/observability.md}.
 */
class RouterMetricNamesTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final Path DOCS = Path.of("../docs/observability.md");
    private static final SamplingParams GREEDY_8 = new SamplingParams(0f, 0, 1f, 0, 8, List.of(), true);

    /** Counts streamed tokens and completes when the request ends. */
    private static final class CountingSink implements GenerationSink {
        final AtomicInteger tokens = new AtomicInteger();
        final CompletableFuture<Generation> done = new CompletableFuture<>();

        @Override
        public void onToken(int tokenId, String text, TokenLogprobs logprobs) {
            tokens.incrementAndGet();
        }

        @Override
        public void onComplete(Generation generation, List<ReroutedExpert> skipped) {
            done.complete(generation);
        }

        @Override
        public void onError(Throwable error) {
            done.completeExceptionally(error);
        }
    }

    @Test
    void publishesTheAgreedRouterMetersEachOfThemDocumented() {
        ModelConfig config = ModelConfig.load(MODEL);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RoutingStatsWindow window = new RoutingStatsWindow(config.numLayers(), config.numExperts(),
                Duration.ofMinutes(10), 10, Clock.systemUTC());
        UnitTokenMetrics unitTokens = new UnitTokenMetrics(config.numLayers(), config.numExperts(), true);
        unitTokens.bindTo(registry);
        CountingSink sink = new CountingSink();
        try (ExpertCluster cluster = new ExpertCluster(MODEL, List.of(Set.of(0, 1, 3), Set.of(4, 5, 6, 7)));
                RemoteExperts experts = RemoteExperts.connect(cluster.endpoints, ExpertCluster::channel,
                        config.numLayers(), config.numExperts(), config.hiddenSize(), DispatchProperties.defaults());
                Checkpoint checkpoint = Checkpoint.open(MODEL);
                TextTokenizer tokenizer = TextTokenizer.load(MODEL)) {
            new DispatchMetrics(experts, config.numLayers(), config.numExperts(), true).bindTo(registry);
            DenseTransformer dense = new DenseTransformer(config, DenseWeights.load(checkpoint, config),
                    Kernels.best(), 0);
            BatchScheduler scheduler = new BatchScheduler(dense, experts, tokenizer, SchedulerProperties.defaults(),
                    (layer, token, decision) -> {
                        window.onRoute(layer, token, decision);
                        unitTokens.onRoute(layer, token, decision);
                    });
            new SchedulerMetrics(scheduler).bindTo(registry);
            new StepTraceMetrics(StepSpans.OFF).bindTo(registry);
            scheduler.start();
            scheduler.submit(tokenizer.encode("The quick brown fox jumps over the lazy dog"), GREEDY_8, sink);
            sink.done.orTimeout(30, TimeUnit.SECONDS).join();
            scheduler.close();

            String scrape = registry.scrape();

            assertThat(DocumentedMetrics.families(scrape))
                    .containsEntry("moemesh_router_unit_tokens_total", "counter")
                    .containsEntry("moemesh_router_unit_calls_total", "counter")
                    .containsEntry("moemesh_router_layer_step_seconds", "histogram")
                    .containsEntry("moemesh_router_expert_calls_total", "counter")
                    .containsEntry("moemesh_router_expert_call_latency_seconds", "histogram")
                    .containsEntry("moemesh_router_dispatch_token_sends_total", "counter")
                    .containsEntry("moemesh_router_dispatch_token_layers_total", "counter")
                    .containsEntry("moemesh_router_dispatch_bytes_total", "counter")
                    .containsEntry("moemesh_router_tokens_generated_total", "counter")
                    .containsEntry("moemesh_router_tokens_degraded_total", "counter")
                    .containsEntry("moemesh_router_tokens_forward_total", "counter")
                    .containsEntry("moemesh_router_trace_steps_traced_total", "counter")
                    .containsEntry("moemesh_router_trace_steps_skipped_total", "counter");
            RoutingStats stats = window.snapshot();
            for (int layer = 0; layer < config.numLayers(); layer++) {
                for (int expert = 0; expert < config.numExperts(); expert++) {
                    assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_unit_tokens_total",
                            "expert=\"" + expert + "\",layer=\"" + layer + "\""))
                            .as("layer %d expert %d", layer, expert)
                            .isEqualTo(stats.expertTokens()[layer][expert]);
                }
            }
            assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_unit_tokens_total", "expert=\"2\""))
                    .as("expert 2 is hosted nowhere").isZero();
            assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_tokens_generated_total", ""))
                    .isEqualTo(sink.tokens.get()).isEqualTo(8);
            double forward = PrometheusMetrics.sum(scrape, "moemesh_router_tokens_forward_total", "");
            assertThat(forward).isEqualTo(scheduler.stats().forwardTokens());
            assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_tokens_degraded_total", "")).isPositive()
                    .isLessThanOrEqualTo(forward);
            assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_layer_step_seconds_count", "layer=\"1\""))
                    .isEqualTo(experts.traffic().layerSteps() / config.numLayers());
            assertThat(PrometheusMetrics.sum(scrape, "moemesh_router_expert_calls_total", "outcome=\"ok\""))
                    .isEqualTo(experts.traffic().calls());
            assertThat(DocumentedMetrics.undocumented(scrape, DOCS)).as("moemesh_* families missing from " + DOCS)
                    .isEmpty();
        }
    }
}
