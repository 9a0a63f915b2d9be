package io.moemesh.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.proto.validation.RequestLimits;
import io.moemesh.router.batching.SchedulerProperties;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The router's request limits and admission settings as Spring binds them beside {@link RouterProperties}. */
class AdmissionPropertiesTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");

    private static AdmissionProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("moemesh.router",
                AdmissionProperties.class);
    }

    @Test
    void defaultsAreTheGatewaysLimitsAQuarterOfTheHeapAnd32QueuedPerCaller() {
        AdmissionProperties defaults = bind(Map.of());

        assertThat(defaults.requestLimits()).isEqualTo(new RequestLimits(32_768, 8_192, 2_048, 256, 8));
        assertThat(defaults.kvCacheBudget().toBytes()).isEqualTo(Runtime.getRuntime().maxMemory() / 4);
        assertThat(defaults.maxQueuedPerCaller()).isEqualTo(32);
        assertThat(AdmissionProperties.defaults()).isEqualTo(defaults);
    }

    @Test
    void theDefaultBudgetIsTheSchedulersDefaultBudget() {
        assertThat(bind(Map.of()).kvCacheBudget().toBytes())
                .isEqualTo(SchedulerProperties.defaults().kvCacheBudgetBytes());
    }

    @Test
    void bindsEverySettingByItsName() {
        AdmissionProperties bound = bind(Map.of(
                "moemesh.router.max-prompt-bytes", "1000",
                "moemesh.router.max-prompt-tokens", "100",
                "moemesh.router.max-tokens-limit", "50",
                "moemesh.router.default-max-tokens", "10",
                "moemesh.router.max-stop-strings", "2",
                "moemesh.router.kv-cache-budget", "512MB",
                "moemesh.router.max-queued-per-caller", "4",
                "moemesh.router.max-kv-cache-wait", "5s"));

        assertThat(bound.requestLimits()).isEqualTo(new RequestLimits(1000, 100, 50, 10, 2));
        assertThat(bound.kvCacheBudget().toBytes()).isEqualTo(512L << 20);
        assertThat(bound.maxQueuedPerCaller()).isEqualTo(4);
        assertThat(bound.maxKvCacheWait()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void theSchedulerGetsTheShareAndTheBudget() {
        Map<String, String> values = new HashMap<>(Map.of("moemesh.router.model-dir", MODEL.toString(),
                "moemesh.router.kv-cache-budget", "64MB", "moemesh.router.max-queued-per-caller", "8"));
        Binder binder = new Binder(new MapConfigurationPropertySource(values));
        RouterProperties router = binder.bindOrCreate("moemesh.router", RouterProperties.class);

        SchedulerProperties scheduler = router.scheduler(binder.bindOrCreate("moemesh.router",
                AdmissionProperties.class));

        assertThat(scheduler.maxQueuedPerCaller()).isEqualTo(8);
        assertThat(scheduler.kvCacheBudgetBytes()).isEqualTo(64L << 20);
        assertThat(scheduler.maxKvCacheWait()).isEqualTo(Duration.ofSeconds(30));
        assertThat(scheduler.maxQueuedRequests()).isEqualTo(256);
    }

    @Test
    void refusesValuesNamingTheSetting() {
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.default-max-tokens", "4096")))
                .rootCause().hasMessageContaining("moemesh.router.default-max-tokens must be in 1..max-tokens-limit");
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.kv-cache-budget", "0B")))
                .rootCause().hasMessageContaining("moemesh.router.kv-cache-budget must be positive");
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.max-kv-cache-wait", "0s")))
                .rootCause().hasMessageContaining("moemesh.router.max-kv-cache-wait must be positive");
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.max-queued-per-caller", "0")))
                .rootCause().hasMessageContaining("moemesh.router.max-queued-per-caller must be > 0");
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.max-prompt-tokens", "-1")))
                .rootCause().hasMessageContaining("moemesh.router.max-prompt-tokens must be > 0");
    }
}
