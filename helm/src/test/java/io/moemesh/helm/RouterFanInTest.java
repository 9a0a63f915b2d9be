package io.moemesh.helm;

import static io.moemesh.helm.Manifests.arg;
import static io.moemesh.helm.Manifests.mainContainer;
import static io.moemesh.helm.Manifests.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1WeightedPodAffinityTerm;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Router fan-in (docs/kubernetes.md, "Router fan-in"): a headless router Service that gateways and
 * the placement controller address, router connections that age out so gateways re-resolve it,
 * PodDisruptionBudgets and node/zone spreading for routers and gateways.
 */
class RouterFanInTest {

    private static final String ROUTER = Chart.RELEASE + "-router";
    private static final String GATEWAY = Chart.RELEASE + "-gateway";
    private static final String HEADLESS = ROUTER + "-headless";

    private static Manifests defaults;
    private static Manifests gpu;

    @BeforeAll
    static void render() {
        defaults = Chart.withDefaults().render();
        gpu = Chart.withDefaults().example("values-gpu.yaml").render();
    }

    @Test
    void aHeadlessServiceListsEveryRouterPodOnThePublicAndInternalPorts() {
        V1Service headless = defaults.named(V1Service.class, HEADLESS);
        V1Deployment router = defaults.named(V1Deployment.class, ROUTER);

        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(headless.getSpec().getSelector()).isEqualTo(router.getSpec().getSelector().getMatchLabels());
        assertThat(headless.getSpec().getPorts()).extracting(V1ServicePort::getName, V1ServicePort::getPort)
                .contains(org.assertj.core.groups.Tuple.tuple("grpc", 50052),
                        org.assertj.core.groups.Tuple.tuple("grpc-internal", 50056));
        assertThat(headless.getSpec().getPublishNotReadyAddresses()).as("a router waiting for discovery is not listed")
                .isNotEqualTo(Boolean.TRUE);
    }

    @Test
    void gatewaysAndTheControllerAddressEveryRouterPodThroughTheHeadlessService() {
        String gatewayRouters = arg(mainContainer(defaults.named(V1Deployment.class, GATEWAY)), "moemesh.gateway.routers");
        String controllerRouters = arg(mainContainer(defaults.named(V1Deployment.class,
                Chart.RELEASE + "-placement-controller")), "moemesh.controller.routers");

        assertThat(gatewayRouters).isEqualTo("dns:///" + HEADLESS + ":50052");
        assertThat(controllerRouters).isEqualTo("dns:///" + HEADLESS + ":50056");
    }

    @Test
    void routersCloseAgedConnectionsSoGatewaysResolveTheServiceAgain() {
        var router = mainContainer(defaults.named(V1Deployment.class, ROUTER));
        var global = mainContainer(Chart.withDefaults().values("transport:\n  maxConnectionAge: 1h\n").render()
                .named(V1Deployment.class, ROUTER));

        assertThat(arg(router, "moemesh.transport.max-connection-age")).isEqualTo("5m");
        assertThat(arg(router, "moemesh.transport.max-connection-age-grace")).isEqualTo("2m");
        assertThat(global.getArgs()).as("transport.maxConnectionAge wins, once")
                .containsOnlyOnce("--moemesh.transport.max-connection-age=1h")
                .noneMatch(a -> a.startsWith("--moemesh.transport.max-connection-age-grace="));
    }

    @Test
    void noDisruptionBudgetForARouterOrGatewayThatMayRunAlone() {
        assertThat(defaults.names(V1PodDisruptionBudget.class)).doesNotContain(ROUTER, GATEWAY);
    }

    @Test
    void productionValuesRunTwoRoutersAndGatewaysAtLeastEachUnderADisruptionBudget() {
        for (String name : List.of(ROUTER, GATEWAY)) {
            V1PodDisruptionBudget pdb = gpu.named(V1PodDisruptionBudget.class, name);
            V1Deployment deployment = gpu.named(V1Deployment.class, name);

            assertThat(gpu.named(V2HorizontalPodAutoscaler.class, name).getSpec().getMinReplicas()).isEqualTo(2);
            assertThat(pdb.getSpec().getMaxUnavailable()).isEqualTo(new IntOrString(1));
            assertThat(pdb.getSpec().getSelector().getMatchLabels())
                    .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        }
    }

    @Test
    void fixedReplicasAboveOneGetABudgetUnlessItIsTurnedOff() {
        Manifests fixed = Chart.withDefaults().values("""
                router:
                  replicas: 3
                  autoscaling: {enabled: false}
                gateway:
                  replicas: 2
                  autoscaling: {enabled: false}
                  podDisruptionBudget: {enabled: false, maxUnavailable: 1}
                """).render();

        assertThat(fixed.names(V1PodDisruptionBudget.class)).contains(ROUTER).doesNotContain(GATEWAY);
    }

    @Test
    void routerAndGatewayPodsPreferOtherNodesThenOtherZones() {
        for (String name : List.of(ROUTER, GATEWAY)) {
            V1Deployment deployment = defaults.named(V1Deployment.class, name);
            List<V1WeightedPodAffinityTerm> preferred = pod(deployment).getAffinity().getPodAntiAffinity()
                    .getPreferredDuringSchedulingIgnoredDuringExecution();

            assertThat(pod(deployment).getAffinity().getPodAntiAffinity()
                    .getRequiredDuringSchedulingIgnoredDuringExecution()).as(name).isNullOrEmpty();
            assertThat(preferred).extracting(t -> t.getPodAffinityTerm().getTopologyKey())
                    .containsExactly("kubernetes.io/hostname", "topology.kubernetes.io/zone");
            assertThat(preferred).allSatisfy(t -> assertThat(t.getPodAffinityTerm().getLabelSelector().getMatchLabels())
                    .isEqualTo(deployment.getSpec().getSelector().getMatchLabels()));
        }
    }

    @Test
    void anAffinityOfTheOperatorsReplacesTheDefaultSpread() {
        Manifests own = Chart.withDefaults().values("""
                router:
                  affinity:
                    nodeAffinity:
                      requiredDuringSchedulingIgnoredDuringExecution:
                        nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [cpu]}]}]
                gateway:
                  spreadPods: false
                """).render();

        assertThat(pod(own.named(V1Deployment.class, ROUTER)).getAffinity().getPodAntiAffinity()).isNull();
        assertThat(pod(own.named(V1Deployment.class, ROUTER)).getAffinity().getNodeAffinity()).isNotNull();
        assertThat(pod(own.named(V1Deployment.class, GATEWAY)).getAffinity()).isNull();
    }

    @Test
    void theHeadlessNameStaysWithin63CharactersAndApartFromEveryOtherService() {
        Manifests longName = Chart.withDefaults().set("fullnameOverride", "m".repeat(60)).render();

        List<String> services = longName.names(V1Service.class);
        String headless = services.stream().filter(n -> n.endsWith("-headless")).findFirst().orElseThrow();

        assertThat(headless).hasSizeLessThanOrEqualTo(63);
        assertThat(services).containsOnlyOnce(headless);
        assertThat(arg(mainContainer(longName.deployments("gateway").getFirst()), "moemesh.gateway.routers"))
                .isEqualTo("dns:///" + headless + ":50052");
    }

    @Test
    void theRoutersMeshCertificateCarriesTheHeadlessServiceName() {
        Manifests mtls = Chart.withDefaults().values("""
                security:
                  mtls:
                    enabled: true
                    certManager:
                      issuerRef: {name: mesh-ca, kind: Issuer}
                """).render();

        DynamicKubernetesObject router = mtls.custom("Certificate").stream()
                .filter(c -> c.getRaw().getAsJsonObject("spec").get("secretName").getAsString().equals(ROUTER + "-tls"))
                .findFirst().orElseThrow();
        assertThat(router.getRaw().getAsJsonObject("spec").getAsJsonArray("dnsNames").toString())
                .contains("\"" + HEADLESS + "\"", "\"" + HEADLESS + "." + Chart.NAMESPACE + ".svc\"");
    }

    @Test
    void aDisruptionBudgetThatAllowsNoDisruptionIsRefused() {
        assertThat(Chart.withDefaults().set("router.podDisruptionBudget.maxUnavailable", 0).refusal())
                .contains("maxUnavailable");
    }
}
