package io.moemesh.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1Ingress;
import io.kubernetes.client.openapi.models.V1IngressRule;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * The edge (issue 24, item 1): optional Ingress objects and Gateway API routes in front of the
 * gateway, off by default, refusing a plaintext edge; and the GPU example no longer puts plaintext
 * gRPC on a LoadBalancer.
 */
class GatewayEdgeTest {

    private static final String GATEWAY = Chart.RELEASE + "-gateway";
    private static final String INGRESS = """
            gateway:
              ingress:
                enabled: true
                className: nginx
                annotations: {cert-manager.io/cluster-issuer: letsencrypt}
                tls: [{secretName: moe-edge-tls, hosts: [moe.example.com, api.example.com]}]
                grpc:
                  hosts: [moe.example.com]
                  annotations: {nginx.ingress.kubernetes.io/backend-protocol: GRPC}
                openAi:
                  hosts: [api.example.com]
                  annotations: {nginx.ingress.kubernetes.io/backend-protocol: HTTP}
            """;
    private static final String ROUTE = """
            gateway:
              route:
                enabled: true
                parentRefs: [{name: edge, namespace: infra, sectionName: https}]
                hostnames: [moe.example.com]
            """;

    @Test
    void noEdgeObjectsByDefault() {
        Manifests defaults = Chart.withDefaults().render();

        assertThat(defaults.all(V1Ingress.class)).isEmpty();
        assertThat(defaults.custom("GRPCRoute")).isEmpty();
        assertThat(defaults.custom("HTTPRoute")).isEmpty();
        assertThat(defaults.custom("BackendTLSPolicy")).isEmpty();
    }

    @Test
    void ingressSendsEachApiToItsPortWithItsOwnBackendProtocolAndTls() {
        Manifests manifests = Chart.withDefaults().values(INGRESS).render();

        V1Ingress grpc = manifests.named(V1Ingress.class, GATEWAY + "-grpc");
        V1Ingress openAi = manifests.named(V1Ingress.class, GATEWAY + "-openai");
        assertThat(grpc.getSpec().getIngressClassName()).isEqualTo("nginx");
        assertThat(grpc.getMetadata().getAnnotations()).containsEntry("nginx.ingress.kubernetes.io/backend-protocol", "GRPC")
                .containsEntry("cert-manager.io/cluster-issuer", "letsencrypt");
        assertThat(openAi.getMetadata().getAnnotations()).containsEntry("nginx.ingress.kubernetes.io/backend-protocol", "HTTP");
        assertThat(grpc.getSpec().getTls()).singleElement().satisfies(t -> assertThat(t.getSecretName()).isEqualTo("moe-edge-tls"));
        V1IngressRule rule = grpc.getSpec().getRules().getFirst();
        assertThat(rule.getHost()).isEqualTo("moe.example.com");
        assertThat(rule.getHttp().getPaths()).singleElement().satisfies(p -> {
            assertThat(p.getBackend().getService().getName()).isEqualTo(GATEWAY);
            assertThat(p.getBackend().getService().getPort().getName()).isEqualTo("grpc");
        });
        assertThat(openAi.getSpec().getRules().getFirst().getHttp().getPaths().getFirst().getBackend().getService()
                .getPort().getName()).isEqualTo("openai");
    }

    @Test
    void ingressWithoutTlsIsRefusedUnlessPlaintextIsAllowed() {
        String plaintext = """
                gateway:
                  ingress: {enabled: true, grpc: {hosts: [moe.example.com]}}
                """;

        assertThat(Chart.withDefaults().values(plaintext).refusal()).contains("gateway.ingress.tls is empty");
        assertThat(Chart.withDefaults().values(plaintext).set("gateway.ingress.allowPlaintext", true).render()
                .names(V1Ingress.class)).containsExactly(GATEWAY + "-grpc");
        assertThat(Chart.withDefaults().values("gateway: {ingress: {enabled: true, allowPlaintext: true}}").refusal())
                .contains("no hosts");
    }

    @Test
    void routesSendGrpcAndTheOpenAiApiToTheirPortsThroughTheNamedGateway() {
        Manifests manifests = Chart.withDefaults().values(ROUTE).render();

        JsonObject grpc = spec(manifests, "GRPCRoute");
        JsonObject http = spec(manifests, "HTTPRoute");
        for (JsonObject route : new JsonObject[] {grpc, http}) {
            JsonObject parent = route.getAsJsonArray("parentRefs").get(0).getAsJsonObject();
            assertThat(parent.get("name").getAsString()).isEqualTo("edge");
            assertThat(parent.get("sectionName").getAsString()).isEqualTo("https");
            assertThat(route.getAsJsonArray("hostnames").get(0).getAsString()).isEqualTo("moe.example.com");
        }
        assertThat(backend(grpc).get("name").getAsString()).isEqualTo(GATEWAY);
        assertThat(backend(grpc).get("port").getAsInt()).isEqualTo(50051);
        assertThat(backend(http).get("port").getAsInt()).isEqualTo(8000);
        assertThat(manifests.custom("BackendTLSPolicy")).as("the gateway speaks plaintext").isEmpty();
    }

    @Test
    void noHttpRouteWhileTheOpenAiApiIsOff() {
        Manifests manifests = Chart.withDefaults().values(ROUTE).set("gateway.openAi.enabled", false).render();

        assertThat(manifests.custom("GRPCRoute")).hasSize(1);
        assertThat(manifests.custom("HTTPRoute")).isEmpty();
    }

    @Test
    void aTlsGatewayGetsABackendTlsPolicyVerifyingItsServiceName() {
        Manifests manifests = Chart.withDefaults().values(ROUTE).set("gateway.tls.secretName", "gateway-cert")
                .values("gateway: {route: {backendTLS: {caCertificateRefs: [{group: '', kind: ConfigMap, name: moe-ca}]}}}")
                .render();

        DynamicKubernetesObject policy = manifests.custom("BackendTLSPolicy").getFirst();
        JsonObject spec = policy.getRaw().getAsJsonObject("spec");
        assertThat(spec.getAsJsonArray("targetRefs").get(0).getAsJsonObject().get("name").getAsString()).isEqualTo(GATEWAY);
        JsonObject validation = spec.getAsJsonObject("validation");
        assertThat(validation.get("hostname").getAsString()).isEqualTo(GATEWAY + ".moe.svc");
        assertThat(validation.getAsJsonArray("caCertificateRefs").get(0).getAsJsonObject().get("name").getAsString())
                .isEqualTo("moe-ca");
    }

    @Test
    void aRouteWithoutParentIsRefused() {
        assertThat(Chart.withDefaults().set("gateway.route.enabled", true).refusal())
                .contains("gateway.route.parentRefs is empty");
    }

    @Test
    void gpuExampleKeepsTheGatewayInsideTheClusterBehindATlsIngress() {
        Manifests gpu = Chart.withDefaults().example("values-gpu.yaml").render();

        assertThat(gpu.all(V1Service.class)).allSatisfy(s -> assertThat(s.getSpec().getType())
                .as(s.getMetadata().getName()).isEqualTo("ClusterIP"));
        assertThat(gpu.all(V1Ingress.class)).isNotEmpty().allSatisfy(i -> assertThat(i.getSpec().getTls()).isNotEmpty());
    }

    private static JsonObject spec(Manifests manifests, String kind) {
        return manifests.custom(kind).getFirst().getRaw().getAsJsonObject("spec");
    }

    private static JsonObject backend(JsonObject routeSpec) {
        return routeSpec.getAsJsonArray("rules").get(0).getAsJsonObject().getAsJsonArray("backendRefs").get(0).getAsJsonObject();
    }
}
