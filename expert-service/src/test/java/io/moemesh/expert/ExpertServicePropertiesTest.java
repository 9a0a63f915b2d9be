package io.moemesh.expert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.moemesh.expert.batching.BatchingPolicy;
import io.moemesh.expert.unit.HostedUnits;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.expert.unit.UnitPlacement;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** {@code moemesh.expert.*} as Spring binds it: defaults, list syntax, and start-up errors a person can act on. */
class ExpertServicePropertiesTest {

    @Test
    void everyOptionButModelDirAndExpertsHasADefault() {
        ExpertServiceProperties properties = bind(Map.of("model-dir", "models/tiny-random", "experts", "3"));

        assertThat(properties.grpcPort()).isEqualTo(50061);
        assertThat(properties.kernels()).isEqualTo(ExpertServiceProperties.KernelChoice.BEST);
        assertThat(properties.batching()).isEqualTo(new BatchingPolicy(256, Duration.ofMillis(2), 4096,
                Runtime.getRuntime().availableProcessors(), 16));
        assertThat(properties.drainTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(properties.endpointId()).isEmpty();
        assertThat(properties.warmup()).isEqualTo(Duration.ofSeconds(1));
        assertThat(properties.loopbackWarmup()).isEqualTo(Duration.ofSeconds(5));
        assertThat(properties.partnerWarmup()).isEqualTo(Duration.ofMillis(200));
    }

    @Test
    void theServiceConfigRepeatsNoDefaultOfTheRecord() throws Exception {
        // one home per default: a value in application.yaml would shadow the record's @DefaultValue unseen
        String yaml = new String(ExpertServicePropertiesTest.class.getResourceAsStream("/application.yaml").readAllBytes(),
                StandardCharsets.UTF_8);
        assertThat(yaml).doesNotContainPattern("(?m)^  expert:");
    }

    @Test
    void noWorkersMeansOnePerProcessorAndAnEndpointIdIsStripped() {
        ExpertServiceProperties properties = bind(Map.of("model-dir", "m", "experts", "3", "workers", "0",
                "endpoint-id", " e-1 "));
        assertThat(properties.workers()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(properties.endpointId()).isEqualTo("e-1");
        assertThat(properties.shutdownMaxWait()).isZero();
    }

    @Test
    void inlineComputeCanBeTurnedOffButNotBelowZero() {
        assertThat(bind(Map.of("model-dir", "m", "experts", "3", "inline-max-tokens", "0")).batching().inlineMaxTokens())
                .isZero();
        assertThat(bindingError(Map.of("model-dir", "m", "experts", "3", "inline-max-tokens", "-1")))
                .hasMessageContaining("moemesh.expert.inline-max-tokens must be >= 0 (0 = off), got -1");
    }

    @Test
    void negativePartnerWarmupIsAStartupErrorNamingTheProperty() {
        assertThat(bindingError(Map.of("model-dir", "m", "experts", "3", "partner-warmup", "-5ms")))
                .hasMessageContaining("moemesh.expert.partner-warmup must not be negative, got PT-0.005S");
    }

    @Test
    void negativeLoopbackWarmupIsAStartupErrorNamingTheProperty() {
        assertThat(bindingError(Map.of("model-dir", "m", "experts", "3", "loopback-warmup", "-1s")))
                .hasMessageContaining("moemesh.expert.loopback-warmup must not be negative, got PT-1S");
    }

    @Test
    void bindsExpertListsPartnerUnitsAndDurations() {
        ExpertServiceProperties properties = bind(Map.of("model-dir", "m", "experts", "3,5", "extra-units", "7:0, 7:1",
                "kernels", "scalar", "max-queue-delay", "5ms", "queue-capacity", "64"));

        assertThat(properties.placement()).isEqualTo(new UnitPlacement(List.of(3, 5),
                List.of(new UnitId(0, 7), new UnitId(1, 7))));
        assertThat(properties.kernels()).isEqualTo(ExpertServiceProperties.KernelChoice.SCALAR);
        assertThat(properties.maxQueueDelay()).isEqualTo(Duration.ofMillis(5));
        assertThat(properties.queueCapacity()).isEqualTo(64);
    }

    @Test
    void anEmptyPartnerListAsKubernetesPassesItForAMissingAnnotationMeansNoPartners() {
        // the chart sets MOEMESH_EXPERT_EXTRAUNITS from the pod annotation moemesh.io/partner-units,
        // which is "" until the placement controller writes one
        ExpertServiceProperties none = bind(Map.of("model-dir", "m", "experts", "3", "extra-units", ""));
        ExpertServiceProperties two = bind(Map.of("model-dir", "m", "experts", "3", "extra-units", "7:0,5:1"));

        assertThat(none.extraUnits()).isEmpty();
        assertThat(none.placement().extraUnits()).isEmpty();
        assertThat(two.placement().extraUnits()).hasSize(2);
    }

    @Test
    void missingModelDirIsAStartupErrorSayingWhatToSet() {
        assertThat(bindingError(Map.of("experts", "3"))).hasMessageContaining("moemesh.expert.model-dir is required");
    }

    @Test
    void noHostedUnitIsAStartupErrorSayingWhatToSet() {
        assertThat(bindingError(Map.of("model-dir", "m"))).hasMessageContaining("no unit to host: set moemesh.expert.experts");
    }

    @Test
    void malformedPartnerUnitIsAStartupErrorNamingTheValue() {
        assertThat(bindingError(Map.of("model-dir", "m", "extra-units", "7-1")))
                .hasMessageContaining("'7-1' is not EXPERT:LAYER (e.g. 7:1 = expert 7 of layer 1)");
    }

    @Test
    void zeroBatchSizeIsAStartupErrorNamingTheProperty() {
        assertThat(bindingError(Map.of("model-dir", "m", "experts", "3", "max-batch-tokens", "0")))
                .hasMessageContaining("moemesh.expert.max-batch-tokens must be >= 1, got 0");
    }

    @Test
    void expertBeyondTheModelIsALoadErrorNamingTheModelsExperts() {
        Throwable error = catchThrowable(() -> HostedUnits.load(TinyModel.dir(), new UnitPlacement(List.of(8), List.of())));

        assertThat(error).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("moemesh.expert.experts contains 8 but the model has 8 experts (0..7)");
    }

    @Test
    void partnerUnitBeyondTheModelsLayersIsALoadError() {
        Throwable error = catchThrowable(() -> HostedUnits.load(TinyModel.dir(),
                new UnitPlacement(List.of(), List.of(new UnitId(2, 7)))));

        assertThat(error).hasMessageContaining("moemesh.expert.extra-units contains 7:2 but the model has 2 layers");
    }

    @Test
    void directoryWithoutAModelIsALoadErrorNamingIt(@TempDir Path empty) {
        Throwable error = catchThrowable(() -> HostedUnits.load(empty, new UnitPlacement(List.of(3), List.of())));

        assertThat(error).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot host experts of " + empty.toAbsolutePath())
                .hasMessageContaining("config.json");
    }

    @Test
    void missingDirectoryIsALoadErrorNamingTheProperty() {
        Throwable error = catchThrowable(() -> HostedUnits.load(Path.of("no/such/model"),
                new UnitPlacement(List.of(3), List.of())));

        assertThat(error).hasMessageContaining("moemesh.expert.model-dir=no/such/model is not a directory");
    }

    private static ExpertServiceProperties bind(Map<String, String> values) {
        return binder(values).bind("moemesh.expert", ExpertServiceProperties.class).get();
    }

    private static Throwable bindingError(Map<String, String> values) {
        Throwable error = catchThrowable(() -> bind(values));
        assertThat(error).isNotNull();
        Throwable root = error;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root;
    }

    private static Binder binder(Map<String, String> values) {
        Map<String, String> prefixed = new java.util.HashMap<>();
        values.forEach((key, value) -> prefixed.put("moemesh.expert." + key, value));
        return new Binder(new MapConfigurationPropertySource(prefixed));
    }
}
