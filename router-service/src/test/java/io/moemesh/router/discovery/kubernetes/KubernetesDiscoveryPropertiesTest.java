package io.moemesh.router.discovery.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class KubernetesDiscoveryPropertiesTest {

    private static KubernetesDiscoveryProperties namespace(String namespace) {
        return new KubernetesDiscoveryProperties(namespace, "moemesh.io/role=expert", "grpc", "");
    }

    @Test
    void aConfiguredNamespaceWins(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("namespace"), "moe-prod");

        assertThat(namespace("moe-staging").namespaceOr(file)).isEqualTo("moe-staging");
    }

    @Test
    void withoutOneThePodsOwnNamespaceFromItsServiceAccount(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("namespace"), "moe-prod\n");

        assertThat(namespace("").namespaceOr(file)).isEqualTo("moe-prod");
    }

    @Test
    void outsideAPodTheDefaultNamespace(@TempDir Path dir) {
        assertThat(namespace("").namespaceOr(dir.resolve("absent"))).isEqualTo("default");
    }

    @Test
    void anEmptyLabelSelectorIsRefusedBecauseItWouldSelectEveryService() {
        assertThatThrownBy(() -> new KubernetesDiscoveryProperties("", " ", "grpc", ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label-selector");
    }

    @Test
    void selectsTheExpertServicesGrpcPortByDefault() {
        KubernetesDiscoveryProperties defaults = new Binder(new MapConfigurationPropertySource(Map.of()))
                .bindOrCreate("moemesh.router.kubernetes", KubernetesDiscoveryProperties.class);

        assertThat(defaults).isEqualTo(new KubernetesDiscoveryProperties("", "moemesh.io/role=expert", "grpc", ""));
    }
}
