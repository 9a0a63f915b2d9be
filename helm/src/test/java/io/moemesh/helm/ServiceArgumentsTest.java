package io.moemesh.helm;

import static io.moemesh.helm.Manifests.arg;
import static io.moemesh.helm.Manifests.expertName;
import static io.moemesh.helm.Manifests.mainContainer;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Service;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The services' arguments name real properties and point each service at the right peers. */
class ServiceArgumentsTest {

    private static final Map<String, PropertyNames> RECORDS = Map.of(
            "expert", PropertyNames.of("expert-service", "io/moemesh/expert/ExpertServiceProperties.java"),
            "router", PropertyNames.of("router-service", "io/moemesh/router/RouterProperties.java"),
            "router-kubernetes", PropertyNames.of("router-service",
                    "io/moemesh/router/discovery/kubernetes/KubernetesDiscoveryProperties.java"),
            "gateway", PropertyNames.of("gateway-service", "io/moemesh/gateway/GatewayProperties.java"),
            "controller", PropertyNames.of("placement-controller", "io/moemesh/placement/ControllerProperties.java"));
    /** Spring Boot's own, beside the moemesh.* ones. */
    private static final List<String> SPRING_PROPERTIES = List.of("server.port", "spring.main.web-application-type");
    /** service-support's records, bound by every service: moemesh.transport.*, moemesh.tls.*, moemesh.auth.*. */
    private static final List<PropertyNames> SHARED = List.of(
            PropertyNames.of("service-support", "io/moemesh/service/transport/TransportProperties.java"),
            PropertyNames.of("service-support", "io/moemesh/service/transport/TlsProperties.java"),
            PropertyNames.of("service-support", "io/moemesh/service/transport/AuthProperties.java"),
            PropertyNames.of("service-support", "io/moemesh/service/tracing/TracingProperties.java"));

    private static final PropertyNames LEADER_ELECTION = PropertyNames.of("placement-controller",
            "io/moemesh/placement/leadership/LeaderElectionProperties.java");

    private static Manifests defaults;

    @BeforeAll
    static void render() {
        defaults = Chart.withDefaults().render();
    }

    @Test
    void readsThePropertyRecordsItChecksAgainst() {
        assertThat(RECORDS.get("expert").prefix()).isEqualTo("moemesh.expert");
        assertThat(RECORDS.get("expert").names()).contains("model-dir", "experts", "grpc-port");
        assertThat(RECORDS.get("gateway").binds("moemesh.gateway.rate-limit.limit-for-period")).isTrue();
        assertThat(RECORDS.get("gateway").names()).contains("api-keys-file", "allow-unauthenticated", "limit-share",
                "http-port");
        assertThat(RECORDS.get("router").binds("moemesh.router.model-directory")).isFalse();
        assertThat(RECORDS.get("router").names()).contains("internal-grpc-port");
        assertThat(SHARED).extracting(PropertyNames::prefix)
                .containsExactly("moemesh.transport", "moemesh.tls", "moemesh.auth", "moemesh.tracing");
        assertThat(SHARED.get(0).names()).contains("bind-address", "health-port", "max-rst-frames-per-window");
        assertThat(SHARED.get(1).names()).contains("cert-file", "ca-file", "client-auth", "expert-server-name");
        assertThat(SHARED.get(2).names()).contains("internal-token-file", "allow-unauthenticated", "mutating-peers");
        assertThat(SHARED).noneMatch(shared -> shared.binds("moemesh.tls.server-name"));
    }

    @Test
    void everyServiceArgumentIsAPropertyTheServiceBinds() {
        // a gateway certificate from the mesh CA: the chart refuses a public one together with mTLS.
        Manifests everything = Chart.withDefaults().set("security.mtls.enabled", true)
                .set("gateway.tls.secretName", "gateway-cert").values("""
                        security:
                          mtls:
                            certManager:
                              issuerRef: {name: mesh-ca, kind: Issuer}
                        gateway:
                          tls:
                            certManager:
                              issuerRef: {name: mesh-ca, kind: Issuer}
                        tracing:
                          otlpEndpoint: http://otel-collector.monitoring.svc:4318/v1/traces
                        networkPolicy:
                          tracing:
                            to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
                        transport:
                          maxInboundMessageSize: 2097152
                          maxConcurrentCallsPerConnection: 64
                          maxConnectionIdle: 5m
                          maxConnectionAge: 1h
                          permitKeepAliveTime: 30s
                          maxRstFramesPerWindow: 100
                          rstWindow: 20s
                        """).render();
        for (var role : RECORDS.entrySet()) {
            for (V1Deployment d : everything.deployments(role.getKey())) {
                List<String> properties = mainContainer(d).getArgs().stream()
                        .map(a -> a.substring(2, a.indexOf('='))).toList();

                assertThat(properties).as(d.getMetadata().getName())
                        .allMatch(p -> role.getValue().binds(p) || SPRING_PROPERTIES.contains(p)
                                || role.getKey().equals("router") && RECORDS.get("router-kubernetes").binds(p)
                                || role.getKey().equals("controller") && LEADER_ELECTION.binds(p)
                                || SHARED.stream().anyMatch(shared -> shared.binds(p)));
            }
        }
    }

    @Test
    void routerDiscoversThePodsOfThisReleasesExpertServicesFromTheirEndpointSlices() {
        V1Container router = mainContainer(defaults.named(V1Deployment.class, Chart.RELEASE + "-router"));

        assertThat(arg(router, "moemesh.router.discovery")).isEqualTo("kubernetes");
        assertThat(arg(router, "moemesh.router.kubernetes.port-name")).isEqualTo("grpc");
        assertThat(router.getArgs()).noneMatch(a -> a.startsWith("--moemesh.router.experts="));
        Map<String, String> selector = new java.util.HashMap<>();
        for (String term : arg(router, "moemesh.router.kubernetes.label-selector").split(",")) {
            selector.put(term.substring(0, term.indexOf('=')), term.substring(term.indexOf('=') + 1));
        }
        assertThat(selector).containsEntry("moemesh.io/role", "expert").containsEntry("app.kubernetes.io/instance",
                Chart.RELEASE);
        // EndpointSlices carry their Service's labels: every expert Service (and no other) matches
        for (V1Service service : defaults.all(V1Service.class)) {
            boolean expert = service.getMetadata().getName().startsWith(expertName(0).replace("-0", "-"));
            assertThat(service.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
                    .as(service.getMetadata().getName()).isEqualTo(expert);
        }
        for (int e = 0; e < 16; e++) {
            assertThat(defaults.named(V1Service.class, expertName(e)).getSpec().getPorts())
                    .anySatisfy(p -> assertThat(p.getName()).isEqualTo("grpc"));
        }
    }

    @Test
    void expertsTakeTheirPartnerUnitsFromTheAnnotationThePlacementControllerWritesAndTheChartLeavesAlone() {
        for (int e = 0; e < 16; e++) {
            V1Deployment d = defaults.named(V1Deployment.class, expertName(e));
            assertThat(mainContainer(d).getEnv()).anySatisfy(env -> {
                assertThat(env.getName()).isEqualTo("MOEMESH_EXPERT_EXTRAUNITS");
                assertThat(env.getValueFrom().getFieldRef().getFieldPath())
                        .isEqualTo("metadata.annotations['moemesh.io/partner-units']");
            });
            Map<String, String> annotations = d.getSpec().getTemplate().getMetadata().getAnnotations();
            assertThat(annotations == null ? Map.of() : annotations).doesNotContainKey("moemesh.io/partner-units");
        }
    }

    @Test
    void theControllerReconcilesExactlyThisReleasesExpertDeploymentsAndAutoscalers() {
        V1Container controller = mainContainer(defaults.named(V1Deployment.class,
                Chart.RELEASE + "-placement-controller"));

        assertThat(arg(controller, "moemesh.controller.mode")).isEqualTo("kubernetes");
        Map<String, String> selector = new java.util.HashMap<>();
        for (String term : arg(controller, "moemesh.controller.expert-selector").split(",")) {
            selector.put(term.substring(0, term.indexOf('=')), term.substring(term.indexOf('=') + 1));
        }
        for (V1Deployment d : defaults.all(V1Deployment.class)) {
            boolean expert = d.getMetadata().getName().startsWith(Chart.RELEASE + "-expert-");
            assertThat(d.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
                    .as(d.getMetadata().getName()).isEqualTo(expert);
            if (expert) {
                assertThat(d.getMetadata().getLabels()).containsKey("moemesh.io/expert");
            }
        }
        for (var hpa : defaults.all(io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler.class)) {
            boolean expert = hpa.getSpec().getScaleTargetRef().getName().startsWith(Chart.RELEASE + "-expert-");
            assertThat(hpa.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
                    .as(hpa.getMetadata().getName()).isEqualTo(expert);
        }
    }

    @Test
    void anExplicitExpertListAndPortReachTheExpertsAndTheirServices() {
        Manifests listed = Chart.withDefaults().values("experts:\n  list: [2, 9]\n  grpcPort: 50070\n").render();

        assertThat(arg(mainContainer(listed.named(V1Deployment.class, expertName(9))), "moemesh.expert.grpc-port"))
                .isEqualTo("50070");
        assertThat(listed.named(V1Service.class, expertName(2)).getSpec().getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("grpc");
            assertThat(p.getPort()).isEqualTo(50070);
        });
    }

    @Test
    void routerAndExpertsReadTheModelFromTheModelVolume() {
        Manifests tiny = Chart.withDefaults().set("model.name", "tiny-random").render();

        assertThat(arg(mainContainer(tiny.named(V1Deployment.class, Chart.RELEASE + "-router")), "moemesh.router.model-dir"))
                .isEqualTo("/models/tiny-random");
        assertThat(tiny.deployments("expert"))
                .allSatisfy(d -> assertThat(arg(mainContainer(d), "moemesh.expert.model-dir")).isEqualTo("/models/tiny-random"));
    }

    @Test
    void gatewayCallsTheRoutersPublicPortAndTheControllerTheirInternalOne() {
        assertThat(arg(mainContainer(defaults.deployments("gateway").getFirst()), "moemesh.gateway.routers"))
                .isEqualTo("dns:///" + Chart.RELEASE + "-router-headless:50052");
        V1Container controller = mainContainer(defaults.deployments("controller").getFirst());
        assertThat(arg(controller, "moemesh.controller.routers"))
                .isEqualTo("dns:///" + Chart.RELEASE + "-router-headless:50056");
        assertThat(arg(controller, "moemesh.controller.dry-run")).isEqualTo("true");
        V1Container router = mainContainer(defaults.deployments("router").getFirst());
        assertThat(arg(router, "moemesh.router.grpc-port")).isEqualTo("50052");
        assertThat(arg(router, "moemesh.router.internal-grpc-port")).isEqualTo("50056");
        assertThat(router.getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("grpc-internal");
            assertThat(p.getContainerPort()).isEqualTo(50056);
        });
        assertThat(defaults.named(V1Service.class, Chart.RELEASE + "-router").getSpec().getPorts())
                .extracting(p -> p.getName() + ":" + p.getPort() + "->" + p.getTargetPort().getStrValue())
                .contains("grpc:50052->grpc", "grpc-internal:50056->grpc-internal");
    }

    @Test
    void aMovedInternalPortReachesTheRouterItsServiceAndTheController() {
        Manifests moved = Chart.withDefaults().set("router.internalGrpcPort", 50090).render();

        assertThat(arg(mainContainer(moved.deployments("router").getFirst()), "moemesh.router.internal-grpc-port"))
                .isEqualTo("50090");
        assertThat(arg(mainContainer(moved.deployments("controller").getFirst()), "moemesh.controller.routers"))
                .isEqualTo("dns:///" + Chart.RELEASE + "-router-headless:50090");
    }

    @Test
    void webOffStartsNoHttpServerAndExposesNoHttpPort() {
        Manifests noWeb = Chart.withDefaults().set("router.web.enabled", false).render();
        V1Deployment router = noWeb.named(V1Deployment.class, Chart.RELEASE + "-router");

        assertThat(mainContainer(router).getArgs()).contains("--spring.main.web-application-type=none")
                .noneMatch(a -> a.startsWith("--server.port="));
        assertThat(mainContainer(router).getPorts()).extracting("name").containsExactly("grpc", "grpc-internal");
        assertThat(arg(mainContainer(defaults.named(V1Deployment.class, Chart.RELEASE + "-router")), "server.port"))
                .isEqualTo("8082");
    }

    @Test
    void theControllerElectsItselfOnTheLeaseItsRoleNames() {
        assertThat(arg(mainContainer(defaults.deployments("controller").getFirst()),
                "moemesh.controller.leader-election.lease-name")).isEqualTo(Chart.RELEASE + "-placement-controller");
    }

    @Test
    void imagesAreRepositoryModuleAndAppVersionUnlessARegistryAndTagAreGiven() {
        assertThat(mainContainer(defaults.named(V1Deployment.class, expertName(0))).getImage())
                .isEqualTo("moemesh/expert-service:0.1.0");
        assertThat(mainContainer(defaults.deployments("controller").getFirst()).getImage())
                .isEqualTo("moemesh/placement-controller:0.1.0");

        Manifests pinned = Chart.withDefaults().set("image.registry", "registry.local:5000").set("image.tag", "0.2.0-rc1")
                .set("image.pullPolicy", "Always").render();
        V1Deployment gateway = pinned.deployments("gateway").getFirst();
        assertThat(mainContainer(gateway).getImage()).isEqualTo("registry.local:5000/moemesh/gateway-service:0.2.0-rc1");
        assertThat(mainContainer(gateway).getImagePullPolicy()).isEqualTo("Always");
    }

    @Test
    void theRouterGetsItsStallTimeoutAndStreamBacklogFromValues() {
        V1Container router = mainContainer(Chart.withDefaults().set("router.stallTimeout", "45s")
                .set("router.maxStreamBacklog", 64).render().deployments("router").getFirst());

        assertThat(arg(router, "moemesh.router.stall-timeout")).isEqualTo("45s");
        assertThat(arg(router, "moemesh.router.max-stream-backlog")).isEqualTo("64");
    }
}
