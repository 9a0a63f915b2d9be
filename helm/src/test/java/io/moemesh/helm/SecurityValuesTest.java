package io.moemesh.helm;

import static io.moemesh.helm.Manifests.arg;
import static io.moemesh.helm.Manifests.mainContainer;
import static io.moemesh.helm.Manifests.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Volume;
import io.kubernetes.client.openapi.models.V1VolumeMount;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Authentication and TLS (docs/security.md): the chart refuses values with which the services
 * would run open or refuse to start, mounts Secrets as files (rotation without a rollout), and
 * passes the settings of the security contract.
 */
class SecurityValuesTest {

    private static final List<String> INTERNAL = List.of("router", "expert", "controller");
    private static final List<String> ALL = List.of("gateway", "router", "expert", "controller");
    /** The default name of the experts' certificate: the name their shared objects carry, as a Service's DNS name. */
    private static final String EXPERT_SERVER_NAME = Chart.RELEASE + "-expert." + Chart.NAMESPACE + ".svc";

    @Test
    void refusesToRenderTheBareDefaults() {
        assertThat(Chart.unconfigured().refusal()).contains("gateway.apiKeys.existingSecret is empty");
    }

    @Test
    void refusesToRenderWithoutApiKeysAndSaysHowToCreateThem() {
        assertThat(Chart.withDefaults().set("gateway.apiKeys.existingSecret", "").refusal())
                .contains("gateway.apiKeys.existingSecret is empty")
                .contains("kubectl create secret generic moe-api-keys")
                .contains("security.allowUnauthenticated=true");
    }

    @Test
    void refusesToRenderWithoutInternalTokenOrMtls() {
        assertThat(Chart.withDefaults().set("security.internalToken.existingSecret", "").refusal())
                .contains("neither security.internalToken.existingSecret nor security.mtls.enabled is set")
                .contains("kubectl create secret generic moe-internal-token");
    }

    @Test
    void allowUnauthenticatedRendersOpenServicesThatSaySo() {
        Manifests open = Chart.withDefaults().set("gateway.apiKeys.existingSecret", "")
                .set("security.internalToken.existingSecret", "").set("security.allowUnauthenticated", true).render();

        assertThat(arg(container(open, "gateway"), "moemesh.gateway.allow-unauthenticated")).isEqualTo("true");
        for (String role : INTERNAL) {
            assertThat(arg(container(open, role), "moemesh.auth.allow-unauthenticated")).as(role).isEqualTo("true");
        }
        assertThat(ALL).allSatisfy(role -> assertThat(pod(open.deployments(role).getFirst()).getVolumes())
                .extracting(V1Volume::getName).doesNotContain("internal-token", "api-keys", "tls"));
    }

    @Test
    void allowUnauthenticatedDoesNotTurnOffAGivenTokenOrKeys() {
        Manifests keyed = Chart.withDefaults().set("security.allowUnauthenticated", true).render();

        assertThat(container(keyed, "gateway").getArgs()).noneMatch(a -> a.contains("allow-unauthenticated"));
        for (String role : INTERNAL) {
            assertThat(container(keyed, role).getArgs()).as(role).noneMatch(a -> a.contains("allow-unauthenticated"));
        }
    }

    @Test
    void gatewayReadsItsKeysFromTheSecretMountedAsAFileNotFromTheEnvironment() {
        V1Deployment gateway = Chart.withDefaults().set("gateway.apiKeys.key", "keys.txt").render()
                .deployments("gateway").getFirst();

        String file = arg(mainContainer(gateway), "moemesh.gateway.api-keys-file");
        V1Volume volume = volume(gateway, "api-keys");
        assertThat(volume.getSecret().getSecretName()).isEqualTo(Chart.API_KEYS_SECRET);
        assertThat(volume.getSecret().getItems()).singleElement().satisfies(item -> {
            assertThat(item.getKey()).isEqualTo("keys.txt");
            assertThat(file).endsWith("/" + item.getPath());
        });
        assertMountedAsDirectory(gateway, "api-keys", file);
        assertThat(mainContainer(gateway).getEnv()).noneMatch(e -> e.getName().contains("API_KEYS"));
    }

    @Test
    void everyServiceMountsTheInternalTokenAndPassesItsFile() {
        Manifests manifests = Chart.withDefaults().render();

        for (String role : ALL) {
            for (V1Deployment d : manifests.deployments(role)) {
                String file = arg(mainContainer(d), "moemesh.auth.internal-token-file");
                V1Volume volume = volume(d, "internal-token");
                assertThat(volume.getSecret().getSecretName()).isEqualTo(Chart.TOKEN_SECRET);
                assertThat(volume.getSecret().getDefaultMode()).isEqualTo(0440);
                assertThat(volume.getSecret().getItems()).singleElement()
                        .satisfies(item -> assertThat(item.getKey()).isEqualTo("token"));
                assertMountedAsDirectory(d, "internal-token", file);
            }
        }
    }

    @Test
    void gatewayTlsComesFromTheCertificateSecretAndIsProbedOnThePlaintextHealthPort() {
        V1Deployment gateway = Chart.withDefaults().set("gateway.tls.secretName", "gateway-cert").render()
                .deployments("gateway").getFirst();
        V1Container container = mainContainer(gateway);

        assertThat(volume(gateway, "tls").getSecret().getSecretName()).isEqualTo("gateway-cert");
        assertMountedAsDirectory(gateway, "tls", arg(container, "moemesh.tls.cert-file"));
        assertThat(arg(container, "moemesh.tls.cert-file")).endsWith("/tls.crt");
        assertThat(arg(container, "moemesh.tls.key-file")).endsWith("/tls.key");
        // no mTLS: routers speak plaintext, so no CA toward them and no client-auth on the public port
        assertThat(container.getArgs()).noneMatch(a -> a.startsWith("--moemesh.tls.ca-file="))
                .noneMatch(a -> a.startsWith("--moemesh.tls.client-auth="));
        assertProbedOnTheHealthPort(container, 50059);
    }

    @Test
    void withoutTlsTheGrpcPortItselfIsProbedAndNoHealthServerRuns() {
        Manifests plain = Chart.withDefaults().render();

        for (String role : ALL) {
            V1Container c = container(plain, role);
            assertThat(c.getArgs()).as(role).noneMatch(a -> a.startsWith("--moemesh.transport.health-port="));
            assertThat(c.getPorts()).as(role).noneMatch(p -> p.getName().equals("grpc-health"));
        }
        assertThat(container(plain, "gateway").getReadinessProbe().getGrpc().getPort()).isEqualTo(50051);
        assertThat(container(plain, "router").getLivenessProbe().getGrpc().getPort()).isEqualTo(50052);
        assertThat(container(plain, "expert").getStartupProbe().getGrpc().getPort()).isEqualTo(50061);
    }

    /** kubelet's gRPC probes speak plaintext only: under mTLS every component is probed on its health-only port. */
    @Test
    void mtlsComponentsAreProbedOnTheirHealthPortEvenWithTheirActuatorOff() {
        Manifests mtls = Chart.withDefaults().set("security.mtls.enabled", true).set("security.healthPort", 50070)
                .set("experts.web.enabled", false).set("router.web.enabled", false).render();

        for (String role : ALL) {
            assertProbedOnTheHealthPort(container(mtls, role), 50070);
        }
    }

    @Test
    void refusesAHealthPortThatIsAlsoAnotherPortOfATlsComponent() {
        assertThat(Chart.withDefaults().set("security.mtls.enabled", true).set("security.healthPort", 50056).refusal())
                .contains("security.healthPort (50056) is also a port of the router");
        assertThat(Chart.withDefaults().set("gateway.tls.secretName", "gateway-cert").set("security.healthPort", 8051)
                .refusal()).contains("is also a port of the gateway");
        // the same port is fine where nothing speaks TLS: no health server runs
        assertThat(Chart.withDefaults().set("security.healthPort", 50056).render().deployments("router")).hasSize(1);
    }

    private static void assertProbedOnTheHealthPort(V1Container c, int healthPort) {
        assertThat(arg(c, "moemesh.transport.health-port")).as(c.getName()).isEqualTo(String.valueOf(healthPort));
        assertThat(c.getPorts()).as(c.getName()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("grpc-health");
            assertThat(p.getContainerPort()).isEqualTo(healthPort);
        });
        for (var probe : List.of(c.getStartupProbe(), c.getReadinessProbe(), c.getLivenessProbe())) {
            assertThat(probe.getHttpGet()).as(c.getName()).isNull();
            assertThat(probe.getGrpc().getPort()).as(c.getName()).isEqualTo(healthPort);
        }
    }

    @Test
    void gatewayCertManagerIssuerRendersACertificateWritingTheSecret() {
        Manifests manifests = Chart.withDefaults().values("""
                gateway:
                  tls:
                    secretName: gateway-cert
                    certManager:
                      issuerRef: {name: letsencrypt, kind: ClusterIssuer}
                      dnsNames: [moe.example.com]
                """).render();

        DynamicKubernetesObject certificate = manifests.custom("Certificate").stream()
                .filter(c -> c.getMetadata().getName().equals(Chart.RELEASE + "-gateway-public")).findFirst().orElseThrow();
        var spec = certificate.getRaw().getAsJsonObject("spec");
        assertThat(certificate.getApiVersion()).isEqualTo("cert-manager.io/v1");
        assertThat(spec.get("secretName").getAsString()).isEqualTo("gateway-cert");
        assertThat(spec.getAsJsonObject("issuerRef").get("name").getAsString()).isEqualTo("letsencrypt");
        assertThat(spec.getAsJsonArray("dnsNames").asList()).extracting(e -> e.getAsString())
                .contains("moe.example.com", Chart.RELEASE + "-gateway", Chart.RELEASE + "-gateway.moe.svc");
    }

    @Test
    void refusesAnIssuerWithoutTheSecretItWouldWrite() {
        assertThat(Chart.withDefaults().values("gateway:\n  tls:\n    certManager:\n      issuerRef: {name: ca}\n").refusal())
                .contains("gateway.tls.certManager.issuerRef is set but gateway.tls.secretName is empty");
    }

    @Test
    void mtlsRequiresClientCertificatesOnInternalServersAndNamesTheControllerAsTheMutatingPeer() {
        Manifests mtls = Chart.withDefaults().set("security.internalToken.existingSecret", "")
                .set("security.mtls.enabled", true).render();

        for (String role : INTERNAL) {
            V1Deployment d = mtls.deployments(role).getFirst();
            V1Container c = mainContainer(d);
            assertThat(arg(c, "moemesh.tls.client-auth")).as(role).isEqualTo("require");
            assertThat(arg(c, "moemesh.tls.ca-file")).as(role).endsWith("/ca.crt");
            assertThat(volume(d, "tls").getSecret().getSecretName()).isEqualTo(Chart.RELEASE + "-"
                    + (role.equals("controller") ? "placement-controller" : role) + "-tls");
            assertThat(c.getArgs()).noneMatch(a -> a.contains("allow-unauthenticated"))
                    .noneMatch(a -> a.startsWith("--moemesh.auth.internal-token-file="));
        }
        assertThat(arg(container(mtls, "router"), "moemesh.auth.mutating-peers")).isEqualTo(Chart.RELEASE + "-placement-controller");
        assertThat(arg(container(mtls, "expert"), "moemesh.auth.mutating-peers")).isEqualTo(Chart.RELEASE + "-placement-controller");
        assertThat(container(mtls, "controller").getArgs()).noneMatch(a -> a.startsWith("--moemesh.auth.mutating-peers="));
        // routers and the controller reach experts at pod IPs: they verify the name the experts' certificate carries
        assertThat(arg(container(mtls, "router"), "moemesh.tls.expert-server-name")).isEqualTo(EXPERT_SERVER_NAME);
        assertThat(arg(container(mtls, "controller"), "moemesh.tls.expert-server-name")).isEqualTo(EXPERT_SERVER_NAME);
        assertThat(container(mtls, "gateway").getArgs()).noneMatch(a -> a.contains("expert-server-name"));
        assertThat(container(mtls, "expert").getArgs()).noneMatch(a -> a.contains("expert-server-name"));
        // the gateway presents its certificate to the routers and verifies them, but its public port asks for none
        V1Container gateway = container(mtls, "gateway");
        assertThat(arg(gateway, "moemesh.tls.ca-file")).endsWith("/ca.crt");
        assertThat(gateway.getArgs()).noneMatch(a -> a.startsWith("--moemesh.tls.client-auth="));
    }

    @Test
    void mtlsWithAnIssuerRendersOneCertificatePerComponentAndTheControllerCarriesItsIdentity() {
        Manifests mtls = Chart.withDefaults().values("""
                security:
                  mtls:
                    enabled: true
                    certManager:
                      issuerRef: {name: mesh-ca, kind: Issuer}
                """).render();

        List<DynamicKubernetesObject> certificates = mtls.custom("Certificate");
        assertThat(certificates).extracting(c -> c.getRaw().getAsJsonObject("spec").get("secretName").getAsString())
                .containsExactlyInAnyOrder(Chart.RELEASE + "-gateway-tls", Chart.RELEASE + "-router-tls",
                        Chart.RELEASE + "-expert-tls", Chart.RELEASE + "-placement-controller-tls");
        var controller = certificates.stream().filter(c -> c.getMetadata().getName().contains("placement-controller"))
                .findFirst().orElseThrow().getRaw().getAsJsonObject("spec");
        assertThat(controller.get("commonName").getAsString()).isEqualTo(Chart.RELEASE + "-placement-controller");
        assertThat(controller.getAsJsonArray("dnsNames").asList()).extracting(e -> e.getAsString())
                .contains(Chart.RELEASE + "-placement-controller");
        var experts = certificates.stream().filter(c -> c.getMetadata().getName().contains("expert"))
                .findFirst().orElseThrow().getRaw().getAsJsonObject("spec");
        assertThat(experts.getAsJsonArray("dnsNames").asList()).extracting(e -> e.getAsString())
                .contains(Manifests.expertName(0), Manifests.expertName(15) + ".moe.svc", EXPERT_SERVER_NAME)
                .contains(arg(container(mtls, "router"), "moemesh.tls.expert-server-name"));
    }

    @Test
    void refusesAPublicGatewayCertificateTogetherWithMtls() {
        String refusal = Chart.withDefaults().values("""
                security:
                  mtls:
                    enabled: true
                    certManager:
                      issuerRef: {name: mesh-ca, kind: Issuer}
                gateway:
                  tls:
                    secretName: gateway-cert
                    certManager:
                      issuerRef: {name: letsencrypt, kind: ClusterIssuer}
                """).refusal();

        assertThat(refusal).contains("gateway.tls.secretName is set together with security.mtls.enabled")
                .contains("issue the gateway's certificate from the mesh CA").contains("security.internalToken.existingSecret");
        assertThat(Chart.withDefaults().set("security.mtls.enabled", true).set("gateway.tls.secretName", "gateway-cert")
                .refusal()).contains("gateway.tls.secretName is set together with security.mtls.enabled");
    }

    @Test
    void withMtlsAGatewayCertificateFromTheMeshCaIsTheGatewaysOneIdentity() {
        Manifests both = Chart.withDefaults().values("""
                security:
                  mtls:
                    enabled: true
                    certManager:
                      issuerRef: {name: mesh-ca, kind: Issuer}
                gateway:
                  tls:
                    secretName: gateway-cert
                    certManager:
                      issuerRef: {name: mesh-ca, kind: Issuer}
                """).render();

        assertThat(volume(both.deployments("gateway").getFirst(), "tls").getSecret().getSecretName()).isEqualTo("gateway-cert");
        assertThat(both.custom("Certificate")).extracting(c -> c.getMetadata().getName())
                .doesNotContain(Chart.RELEASE + "-gateway-mtls").contains(Chart.RELEASE + "-router-mtls");
    }

    @Test
    void givenMtlsSecretsAndControllerIdentityAreUsed() {
        Manifests mtls = Chart.withDefaults().values("""
                security:
                  mtls:
                    enabled: true
                    secrets: {router: router-cert}
                    controllerIdentity: placement.mesh.internal
                """).render();

        assertThat(volume(mtls.deployments("router").getFirst(), "tls").getSecret().getSecretName()).isEqualTo("router-cert");
        assertThat(arg(container(mtls, "expert"), "moemesh.auth.mutating-peers")).isEqualTo("placement.mesh.internal");
        assertThat(arg(container(Chart.withDefaults().set("security.mtls.enabled", true)
                .set("security.mtls.expertServerName", "experts.mesh.internal").render(), "router"),
                "moemesh.tls.expert-server-name")).isEqualTo("experts.mesh.internal");
        assertThat(mtls.custom("Certificate")).isEmpty();
    }

    @Test
    void limitShareIsTheGatewayReplicaCount() {
        assertThat(arg(container(Chart.withDefaults().set("gateway.autoscaling.maxReplicas", 5).render(), "gateway"),
                "moemesh.gateway.limit-share")).isEqualTo("5");
        assertThat(arg(container(Chart.withDefaults().set("gateway.autoscaling.enabled", false)
                .set("gateway.replicas", 2).render(), "gateway"), "moemesh.gateway.limit-share")).isEqualTo("2");
    }

    @Test
    void transportValuesReachEveryService() {
        Manifests tuned = Chart.withDefaults().values("""
                transport:
                  maxConcurrentCallsPerConnection: 64
                  maxConnectionIdle: 5m
                  maxRstFramesPerWindow: 100
                """).render();

        for (String role : ALL) {
            V1Container c = container(tuned, role);
            assertThat(arg(c, "moemesh.transport.max-concurrent-calls-per-connection")).as(role).isEqualTo("64");
            assertThat(arg(c, "moemesh.transport.max-connection-idle")).as(role).isEqualTo("5m");
            assertThat(arg(c, "moemesh.transport.max-rst-frames-per-window")).as(role).isEqualTo("100");
        }
        assertThat(container(Chart.withDefaults().render(), "router").getArgs())
                .filteredOn(a -> a.startsWith("--moemesh.transport."))
                .as("only the router's own connection age (router fan-in)")
                .containsExactly("--moemesh.transport.max-connection-age=5m",
                        "--moemesh.transport.max-connection-age-grace=2m");
    }

    @Test
    void refusesAnUnknownTransportSetting() {
        assertThat(Chart.withDefaults().set("transport.maxStreams", 4).refusal())
                .contains("Additional property maxStreams is not allowed");
    }

    private static V1Container container(Manifests manifests, String role) {
        return mainContainer(manifests.deployments(role).getFirst());
    }

    private static V1Volume volume(V1Deployment d, String name) {
        return pod(d).getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst().orElseThrow();
    }

    /** A whole-directory mount (no subPath, which the kubelet never updates) holding the file. */
    private static void assertMountedAsDirectory(V1Deployment d, String volume, String file) {
        V1VolumeMount mount = mainContainer(d).getVolumeMounts().stream().filter(m -> m.getName().equals(volume))
                .findFirst().orElseThrow();
        assertThat(mount.getSubPath()).isNull();
        assertThat(mount.getReadOnly()).isTrue();
        assertThat(file).startsWith(mount.getMountPath() + "/");
    }
}
