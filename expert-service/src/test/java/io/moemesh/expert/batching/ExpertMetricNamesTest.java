package io.moemesh.expert.batching;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.expert.TinyModel;
import io.moemesh.expert.unit.HostedUnits;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.expert.unit.UnitPlacement;
import io.moemesh.testing.DocumentedMetrics;
import io.moemesh.testing.PrometheusMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The expert's meters as Prometheus scrapes them, after real forward passes: the names and types
 * the docs promise, and every {@code moemesh_*} family documented in {@code docs/observability.md}.
 */
class ExpertMetricNamesTest {

    private static final Path DOCS = Path.of("../docs/observability.md");
    private static final UnitId UNIT = new UnitId(0, 3);

    private final HostedUnits units = HostedUnits.load(TinyModel.dir(), new UnitPlacement(List.of(3), List.of()));
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final MicroBatcher batcher = new MicroBatcher(units.weights(), new ExpertFfnRunner(Kernels.best()),
            new BatchingPolicy(256, Duration.ofMillis(2), 4096, 1), Ticker.system(), registry);

    @AfterEach
    void close() {
        batcher.close();
        units.close();
    }

    private String scrapeAfterComputing(int... requestTokens) {
        for (int tokens : requestTokens) {
            batcher.submit(UNIT, new float[tokens * TinyModel.HIDDEN], tokens, MicroBatcher.NO_DEADLINE).result()
                    .orTimeout(10, TimeUnit.SECONDS).join();
        }
        return registry.scrape();
    }

    @Test
    void publishesTheAgreedNamesWithTheirTypes() {
        String scrape = scrapeAfterComputing(3, 5);

        assertThat(DocumentedMetrics.families(scrape)).containsEntry("moemesh_expert_tokens_total", "counter")
                .containsEntry("moemesh_expert_batch_tokens", "histogram")
                .containsEntry("moemesh_expert_queue_delay_seconds", "histogram")
                .containsEntry("moemesh_expert_compute_seconds", "summary")
                .containsEntry("moemesh_expert_queue_tokens", "gauge")
                .containsEntry("moemesh_expert_rejected_total", "counter");
        assertThat(PrometheusMetrics.sum(scrape, "moemesh_expert_tokens_total", "expert=\"3\",layer=\"0\""))
                .isEqualTo(8);
        assertThat(PrometheusMetrics.sum(scrape, "moemesh_expert_batch_tokens_bucket", "le=\"4.0\"")).isEqualTo(1);
        assertThat(PrometheusMetrics.sum(scrape, "moemesh_expert_batch_tokens_bucket", "le=\"8.0\"")).isEqualTo(2);
        assertThat(PrometheusMetrics.sum(scrape, "moemesh_expert_queue_delay_seconds_count", "")).isEqualTo(2);
    }

    @Test
    void everyFamilyIsDocumented() {
        String scrape = scrapeAfterComputing(1);

        assertThat(DocumentedMetrics.families(scrape)).isNotEmpty();
        assertThat(DocumentedMetrics.undocumented(scrape, DOCS)).as("moemesh_* families missing from " + DOCS)
                .isEmpty();
    }
}
