package io.moemesh.helm;

import static io.moemesh.helm.Manifests.arg;
import static io.moemesh.helm.Manifests.mainContainer;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.moemesh.helm.PolicyCheck.Pod;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway's OpenAI-compatible HTTP API (docs/openai-api.md): a public port beside gRPC, on the
 * same Service and behind the same NetworkPolicy rule, never on the actuator's -metrics Service.
 */
class GatewayOpenAiTest {

    private static final String GATEWAY = Chart.RELEASE + "-gateway";
    private static final Pod OUTSIDE = new Pod(null);
    private static final Pod STRANGER = new Pod(Map.of("app", "something-else"));

    private static Manifests defaults;

    @BeforeAll
    static void render() {
        defaults = Chart.withDefaults().render();
    }

    @Test
    void theGatewayServesTheApiOnPort8000ByDefault() {
        V1Container gateway = gateway(defaults);

        assertThat(arg(gateway, "moemesh.gateway.http-port")).isEqualTo("8000");
        assertThat(gateway.getPorts()).filteredOn(p -> "openai".equals(p.getName())).singleElement().satisfies(p -> {
            assertThat(p.getContainerPort()).isEqualTo(8000);
            assertThat(p.getProtocol()).isEqualTo("TCP");
        });
    }

    @Test
    void thePublicServiceCarriesTheApiBesideGrpcAndTheMetricsServiceDoesNot() {
        assertThat(defaults.named(V1Service.class, GATEWAY).getSpec().getPorts())
                .extracting(p -> p.getName() + ":" + p.getPort() + "->" + p.getTargetPort().getStrValue() + " "
                        + p.getProtocol() + "/" + p.getAppProtocol())
                .containsExactly("grpc:50051->grpc TCP/grpc", "openai:8000->openai TCP/http");
        assertThat(defaults.named(V1Service.class, GATEWAY + "-metrics").getSpec().getPorts())
                .extracting(V1ServicePort::getName).containsExactly("http");
    }

    @Test
    void turnedOffTheGatewayGetsMinusOneAndNoPortIsExposed() {
        Manifests off = Chart.withDefaults().set("gateway.openAi.enabled", false).render();

        assertThat(arg(gateway(off), "moemesh.gateway.http-port")).isEqualTo("-1");
        assertThat(gateway(off).getPorts()).extracting("name").doesNotContain("openai");
        assertThat(off.named(V1Service.class, GATEWAY).getSpec().getPorts()).extracting(V1ServicePort::getName)
                .containsExactly("grpc");
        PolicyCheck policies = new PolicyCheck(off.all(V1NetworkPolicy.class));
        assertThat(policies.ingressAllowed(OUTSIDE, gatewayPod(off), 8000)).isFalse();
    }

    @Test
    void aMovedPortReachesTheArgumentTheContainerTheServiceAndTheNetworkPolicy() {
        Manifests moved = Chart.withDefaults().set("gateway.openAi.port", 9000).render();

        assertThat(arg(gateway(moved), "moemesh.gateway.http-port")).isEqualTo("9000");
        assertThat(gateway(moved).getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("openai");
            assertThat(p.getContainerPort()).isEqualTo(9000);
        });
        assertThat(moved.named(V1Service.class, GATEWAY).getSpec().getPorts())
                .extracting(p -> p.getName() + ":" + p.getPort() + "->" + p.getTargetPort().getStrValue())
                .contains("openai:9000->openai");
        PolicyCheck policies = new PolicyCheck(moved.all(V1NetworkPolicy.class));
        assertThat(policies.ingressAllowed(OUTSIDE, gatewayPod(moved), 9000)).isTrue();
        assertThat(policies.ingressAllowed(OUTSIDE, gatewayPod(moved), 8000)).isFalse();
    }

    @Test
    void theNetworkPolicyOpensTheApiToWhoeverReachesGrpcAndTheActuatorStaysClosed() {
        PolicyCheck policies = new PolicyCheck(defaults.all(V1NetworkPolicy.class));
        Pod gateway = gatewayPod(defaults);

        assertThat(policies.ingressAllowed(OUTSIDE, gateway, 8000)).isTrue();
        assertThat(policies.ingressAllowed(STRANGER, gateway, 8000)).isTrue();
        assertThat(policies.ingressAllowed(OUTSIDE, gateway, 8051)).as("actuator port").isFalse();
    }

    @Test
    void gatewayFromLimitsTheApiLikeGrpc() {
        Manifests limited = Chart.withDefaults().values("""
                networkPolicy:
                  gatewayFrom:
                    - podSelector: {matchLabels: {app: frontend}}
                """).render();
        PolicyCheck policies = new PolicyCheck(limited.all(V1NetworkPolicy.class));
        Pod frontend = new Pod(Map.of("app", "frontend"));

        assertThat(policies.ingressAllowed(frontend, gatewayPod(limited), 8000)).isTrue();
        assertThat(policies.ingressAllowed(frontend, gatewayPod(limited), 50051)).isTrue();
        assertThat(policies.ingressAllowed(STRANGER, gatewayPod(limited), 8000)).isFalse();
        assertThat(policies.ingressAllowed(STRANGER, gatewayPod(limited), 50051)).isFalse();
    }

    @Test
    void refusesAnApiPortThatIsAnotherPortOfTheGateway() {
        assertThat(Chart.withDefaults().set("gateway.openAi.port", 50051).refusal())
                .contains("gateway.openAi.port (50051) must differ from gateway.grpcPort and gateway.web.port");
        assertThat(Chart.withDefaults().set("gateway.openAi.port", 8051).refusal())
                .contains("gateway.openAi.port (8051) must differ");
        // the actuator's port is free when the actuator is off, and any port is free when the API is off
        assertThat(Chart.withDefaults().set("gateway.web.enabled", false).set("gateway.openAi.port", 8051).render()
                .deployments("gateway")).hasSize(1);
        assertThat(Chart.withDefaults().set("gateway.openAi.enabled", false).set("gateway.openAi.port", 50051).render()
                .deployments("gateway")).hasSize(1);
    }

    @Test
    void refusesAnApiPortThatIsThePlaintextHealthPortOfATlsGateway() {
        assertThat(Chart.withDefaults().set("gateway.tls.secretName", "gateway-cert").set("gateway.openAi.port", 50059)
                .refusal()).contains("security.healthPort (50059) is also a port of the gateway");
    }

    private static V1Container gateway(Manifests manifests) {
        return mainContainer(manifests.deployments("gateway").getFirst());
    }

    private static Pod gatewayPod(Manifests manifests) {
        return new Pod(Manifests.podLabels(manifests.deployments("gateway").getFirst()));
    }
}
