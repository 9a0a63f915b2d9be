package io.moemesh.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.proto.internal.v1.DType;
import io.moemesh.router.batching.SchedulerProperties;
import io.moemesh.router.discovery.DiscoveryProperties;
import io.moemesh.router.dispatch.DispatchProperties;
import io.moemesh.router.tracing.StepTraceBudget;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** {@code moemesh.router.*} as Spring binds it: defaults, and values refused with the property's name. */
class RouterPropertiesTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");

    private static RouterProperties bind(Map<String, String> values) {
        Map<String, String> all = new HashMap<>(values);
        all.put("moemesh.router.model-dir", MODEL.toString());
        return new Binder(new MapConfigurationPropertySource(all)).bindOrCreate("moemesh.router", RouterProperties.class);
    }

    @Test
    void perUnitMetricsAreOnByDefault() {
        assertThat(bind(Map.of()).metrics().perUnit()).isTrue();
    }

    @Test
    void perUnitMetricsTurnOff() {
        assertThat(bind(Map.of("moemesh.router.metrics.per-unit", "false")).metrics().perUnit()).isFalse();
    }

    @Test
    void refusesAPerUnitSwitchThatIsNoBooleanNamingTheProperty() {
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.metrics.per-unit", "sometimes")))
                .hasMessageContaining("moemesh.router.metrics.per-unit");
    }

    @Test
    void tracks256ExpertSetsPerLayerByDefaultAndRefusesNone() {
        assertThat(bind(Map.of()).statsExpertSets()).isEqualTo(256);
        assertThat(bind(Map.of("moemesh.router.stats-expert-sets", "1024")).statsExpertSets()).isEqualTo(1024);
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.stats-expert-sets", "0")))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("moemesh.router.stats-expert-sets must be 1..65536");
    }

    @Test
    void refusesAnUnknownWireDtypeAtStartUpNamingTheProperty() {
        // experts in this process: the wire dtype is never used, and is still checked when the router starts
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.wire-dtype", "F16")))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessage("moemesh.router.wire-dtype must be F32 or BF16, got F16");
    }

    @Test
    void bindsTheWireDtypeInAnyCase() {
        assertThat(bind(Map.of("moemesh.router.wire-dtype", "bf16")).dispatch().wireDtype())
                .isEqualTo(DType.DTYPE_BF16);
    }

    @Test
    void theGroupedSettingsOfAnUnconfiguredRouterAreTheirDefaults() {
        RouterProperties unconfigured = bind(Map.of());
        assertThat(unconfigured.dispatch()).isEqualTo(DispatchProperties.defaults());
        assertThat(unconfigured.scheduler(AdmissionProperties.defaults())).isEqualTo(SchedulerProperties.defaults());
        assertThat(unconfigured.discoveryProperties()).isEqualTo(DiscoveryProperties.defaults());
    }

    @Test
    void anEndpointMayHave64CallsInFlightByDefault() {
        assertThat(bind(Map.of()).dispatch().maxConcurrentCalls()).isEqualTo(64);
    }

    @Test
    void bindsExpertMaxConcurrentCallsIntoTheDispatchSettings() {
        assertThat(bind(Map.of("moemesh.router.expert-max-concurrent-calls", "3")).dispatch().maxConcurrentCalls())
                .isEqualTo(3);
    }

    @Test
    void refusesLessThanOneCallInFlightNamingTheProperty() {
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.expert-max-concurrent-calls", "0")))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("moemesh.router.expert-max-concurrent-calls must be >= 1")
                .hasMessageContaining("got 0");
    }

    @Test
    void dispatchSettingsRefuseLessThanOneCallInFlight() {
        assertThatThrownBy(() -> DispatchProperties.builder().maxConcurrentCalls(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxConcurrentCalls must be >= 1, got 0");
    }

    @Test
    void discoveryIsStaticByDefaultAndNoListedEndpointMeansExpertsInProcess() {
        RouterProperties properties = bind(Map.of());

        assertThat(properties.discovery()).isEqualTo(RouterProperties.Discovery.STATIC);
        assertThat(properties.remoteExperts()).isFalse();
    }

    @Test
    void kubernetesDiscoveryMeansRemoteExpertsBeforeAnyIsFound() {
        RouterProperties properties = bind(Map.of("moemesh.router.discovery", "kubernetes"));

        assertThat(properties.discovery()).isEqualTo(RouterProperties.Discovery.KUBERNETES);
        assertThat(properties.remoteExperts()).isTrue();
    }

    @Test
    void refusesAStaticEndpointListBesideKubernetesDiscovery() {
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.discovery", "kubernetes",
                "moemesh.router.experts", "10.0.0.1:50061")))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("moemesh.router.discovery is kubernetes");
    }

    @Test
    void bindsTheDiscoveryTimingsWithSaneDefaults() {
        assertThat(bind(Map.of()).discoveryProperties()).isEqualTo(new DiscoveryProperties(Duration.ofMillis(500),
                Duration.ofSeconds(30), Duration.ofSeconds(30)));
        assertThat(bind(Map.of("moemesh.router.discovery-empty-grace", "2m")).discoveryProperties().emptyGrace())
                .isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void fileDiscoveryMeansRemoteExpertsReadEveryHalfSecondByDefault() {
        RouterProperties properties = bind(Map.of("moemesh.router.discovery", "file",
                "moemesh.router.experts-file", "/tmp/expert-endpoints"));

        assertThat(properties.discovery()).isEqualTo(RouterProperties.Discovery.FILE);
        assertThat(properties.remoteExperts()).isTrue();
        assertThat(properties.expertsFile()).isEqualTo(Path.of("/tmp/expert-endpoints"));
        assertThat(properties.expertsFilePoll()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void fileDiscoveryNeedsTheExpertsFile() {
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.discovery", "file")))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("moemesh.router.discovery=file needs moemesh.router.experts-file");
    }

    @Test
    void refusesAStaticEndpointListBesideFileDiscovery() {
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.discovery", "file",
                "moemesh.router.experts-file", "/tmp/expert-endpoints", "moemesh.router.experts", "10.0.0.1:50061")))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("moemesh.router.discovery is file");
    }

    @Test
    void refusesAnExpertsFileThatWouldNotBeRead() {
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.experts-file", "/tmp/expert-endpoints")))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("moemesh.router.experts-file is read only with moemesh.router.discovery=file,"
                        + " but discovery is static");
    }

    @Test
    void refusesAnExpertsFilePollThatIsNotPositive() {
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.discovery", "file",
                "moemesh.router.experts-file", "/tmp/expert-endpoints", "moemesh.router.experts-file-poll", "0s")))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("moemesh.router.experts-file-poll must be positive");
    }

    @Test
    void tracesAtMostOneStepASecondByDefault() {
        assertThat(bind(Map.of()).stepTraceBudget(() -> 0).perSecond()).isEqualTo(1);
    }

    @Test
    void bindsAFractionalRateZeroAndNoLimit() {
        assertThat(bind(Map.of("moemesh.router.traced-steps-per-second", "0.5")).stepTraceBudget(() -> 0).perSecond())
                .isEqualTo(0.5);
        assertThat(bind(Map.of("moemesh.router.traced-steps-per-second", "0")).stepTraceBudget(() -> 0).tryTrace())
                .isFalse();
        assertThat(bind(Map.of("moemesh.router.traced-steps-per-second", "-1")).stepTraceBudget(() -> 0))
                .isSameAs(StepTraceBudget.unlimited());
    }

    @Test
    void refusesATracedStepRateThatIsNoRateNamingTheProperty() {
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.traced-steps-per-second", "-2")))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessage("moemesh.router.traced-steps-per-second must be -1 (no limit), 0 (never trace a step) or a"
                        + " rate up to 1000000 steps per second (e.g. 0.5, 1, 10), got -2.0");
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.traced-steps-per-second", "ten")))
                .hasMessageContaining("moemesh.router.traced-steps-per-second");
    }
}
