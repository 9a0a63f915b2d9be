package io.moemesh.placement.leadership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class LeaderElectionPropertiesTest {

    private static LeaderElectionProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values))
                .bindOrCreate("moemesh.controller.leader-election", LeaderElectionProperties.class);
    }

    @Test
    void defaultsToOffWithClientGoDurationsAndANamedIdentity() {
        LeaderElectionProperties p = bind(Map.of());

        assertThat(p.enabled()).isFalse();
        assertThat(p.leaseName()).isEqualTo("moe-mesh-placement-controller");
        assertThat(p.leaseDuration()).isEqualTo(Duration.ofSeconds(15));
        assertThat(p.renewDeadline()).isEqualTo(Duration.ofSeconds(10));
        assertThat(p.retryPeriod()).isEqualTo(Duration.ofSeconds(2));
        assertThat(p.namespace()).isNotBlank();
        assertThat(p.identity()).isNotBlank();
    }

    @Test
    void bindsEveryKey() {
        String prefix = "moemesh.controller.leader-election.";
        LeaderElectionProperties p = bind(Map.of(prefix + "enabled", "true", prefix + "lease-name", "lease",
                prefix + "namespace", "moe", prefix + "identity", "pod-1", prefix + "lease-duration", "30s"));

        assertThat(p).isEqualTo(new LeaderElectionProperties(true, "lease", "moe", "pod-1", Duration.ofSeconds(30),
                Duration.ofSeconds(10), Duration.ofSeconds(2)));
    }

    @Test
    void refusesARenewDeadlineThatOutlastsTheLease() {
        assertThatThrownBy(() -> new LeaderElectionProperties(true, "lease", "moe", "pod-1", Duration.ofSeconds(10),
                Duration.ofSeconds(10), Duration.ofSeconds(2)))
                .hasMessageContaining("lease-duration (>= 1s) > renew-deadline > retry-period > 0");
    }
}
