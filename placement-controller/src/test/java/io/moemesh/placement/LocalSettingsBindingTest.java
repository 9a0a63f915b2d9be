package io.moemesh.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** {@code moemesh.controller.local.*} and {@code pruning.*} bind with their defaults and refuse what cannot work. */
class LocalSettingsBindingTest {

    private static ControllerProperties bind(String... keyValues) {
        Map<String, String> map = new HashMap<>();
        map.put("moemesh.controller.routers", "127.0.0.1:50056");
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put(keyValues[i], keyValues[i + 1]);
        }
        return new Binder(new MapConfigurationPropertySource(map)).bind("moemesh.controller", ControllerProperties.class)
                .get();
    }

    @Test
    void localModeAndPruningAreOffByDefault() {
        ControllerProperties p = bind();

        assertThat(p.local().enabled()).isFalse();
        assertThat(p.local().maxExpertProcesses()).isZero();
        assertThat(p.local().startTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(p.pruning().enabled()).isFalse();
        assertThat(p.pruning().settings().qualityBudget()).isEqualTo(0.02);
        assertThat(p.pruning().settings().threshold()).isEqualTo(0.25);
    }

    @Test
    void bindsWhatMoeUpPasses() {
        ControllerProperties p = bind("moemesh.controller.local.expert-command", "/s/start-expert",
                "moemesh.controller.local.state-dir", "/s", "moemesh.controller.local.max-expert-processes", "12",
                "moemesh.controller.pruning.enabled", "true", "moemesh.controller.pruning.quality-budget", "0.01");

        assertThat(p.local().enabled()).isTrue();
        assertThat(p.local().endpointsFile()).isEqualTo(Path.of("/s", "expert-endpoints").toString());
        assertThat(p.local().maxExpertProcesses()).isEqualTo(12);
        assertThat(p.pruning().settings().qualityBudget()).isEqualTo(0.01);
    }

    @Test
    void pruningWithoutLocalProcessesIsRefusedWithWhatToSet() {
        assertThatThrownBy(() -> bind("moemesh.controller.pruning.enabled", "true")).isInstanceOf(BindException.class)
                .rootCause().hasMessageContaining("moemesh.controller.local.*");
    }

    @Test
    void anExpertCommandWithoutAStateDirectoryIsRefused() {
        assertThatThrownBy(() -> bind("moemesh.controller.local.expert-command", "/s/start-expert"))
                .isInstanceOf(BindException.class).rootCause()
                .hasMessageContaining("moemesh.controller.local.state-dir is required");
    }

    @Test
    void aQualityBudgetOutsideZeroToOneIsRefused() {
        assertThatThrownBy(() -> bind("moemesh.controller.local.expert-command", "/s/start-expert",
                "moemesh.controller.local.state-dir", "/s", "moemesh.controller.pruning.enabled", "true",
                "moemesh.controller.pruning.quality-budget", "2")).isInstanceOf(BindException.class)
                .hasStackTraceContaining("moemesh.controller.pruning: pruning quality budget must be in [0, 1]");
    }
}
