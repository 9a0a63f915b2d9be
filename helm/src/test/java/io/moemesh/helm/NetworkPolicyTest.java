package io.moemesh.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.moemesh.helm.PolicyCheck.Pod;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Who may talk to whom, checked on the rendered pods' labels and the rendered policies. */
class NetworkPolicyTest {

    private static final Pod OUTSIDE = new Pod(null);
    /** Some other workload of the namespace. */
    private static final Pod STRANGER = new Pod(Map.of("app", "something-else"));
    private static final List<String> ROLES = List.of("expert", "router", "gateway", "controller");

    private static Manifests defaults;
    private static PolicyCheck check;

    @BeforeAll
    static void render() {
        defaults = Chart.withDefaults().render();
        check = new PolicyCheck(defaults.all(V1NetworkPolicy.class));
    }

    @Test
    void onlyRoutersAndTheControllerReachTheExpertsGrpcPort() {
        assertThat(callers(pod("expert"), 50061)).containsExactlyInAnyOrder("router", "controller");
        assertThat(check.allows(STRANGER, pod("expert"), 50061)).isFalse();
        assertThat(check.allows(OUTSIDE, pod("expert"), 50061)).isFalse();
    }

    @Test
    void onlyGatewaysReachTheRoutersPublicPortAndOnlyTheControllerItsInternalPort() {
        assertThat(callers(pod("router"), 50052)).containsExactly("gateway");
        assertThat(callers(pod("router"), 50056)).containsExactly("controller");
        assertThat(check.allows(OUTSIDE, pod("router"), 50052)).isFalse();
        assertThat(check.allows(OUTSIDE, pod("router"), 50056)).isFalse();
        assertThat(check.allows(STRANGER, pod("router"), 50056)).isFalse();
    }

    @Test
    void theGatewaysGrpcPortIsOpenToAnyone() {
        assertThat(check.allows(OUTSIDE, pod("gateway"), 50051)).isTrue();
        assertThat(check.allows(STRANGER, pod("gateway"), 50051)).isTrue();
        assertThat(check.allows(OUTSIDE, pod("gateway"), 8051)).as("actuator port from outside the cluster").isFalse();
    }

    @Test
    void nobodyReachesTheControllersGrpcPort() {
        assertThat(callers(pod("controller"), 50053)).isEmpty();
        assertThat(check.allows(OUTSIDE, pod("controller"), 50053)).isFalse();
    }

    @Test
    void expertsCallNothingButDns() {
        Pod expert = pod("expert");

        for (String role : ROLES) {
            assertThat(check.egressAllowed(expert, pod(role), 50052)).isFalse();
            assertThat(check.egressAllowed(expert, pod(role), 50061)).isFalse();
        }
        assertThat(check.egressAllowed(expert, OUTSIDE, 443)).isFalse();
        assertThat(check.egressAllowed(expert, OUTSIDE, 53)).isTrue();
    }

    @Test
    void routersAndTheControllerMayCallWhatTheirPeersAdmit() {
        assertThat(check.allows(pod("router"), pod("expert"), 50061)).isTrue();
        assertThat(check.allows(pod("controller"), pod("expert"), 50061)).isTrue();
        assertThat(check.allows(pod("controller"), pod("router"), 50056)).isTrue();
        assertThat(check.allows(pod("controller"), pod("router"), 50052)).isFalse();
        assertThat(check.allows(pod("gateway"), pod("router"), 50052)).isTrue();
        assertThat(check.allows(pod("gateway"), pod("router"), 50056)).isFalse();
    }

    @Test
    void gatewaysCannotBypassTheRouters() {
        assertThat(check.egressAllowed(pod("gateway"), pod("expert"), 50061)).isFalse();
        assertThat(check.egressAllowed(pod("gateway"), pod("router"), 50052)).isTrue();
    }

    @Test
    void everyComponentMayResolveNamesAndOnlyRouterAndControllerReachTheApiServer() {
        for (String role : ROLES) {
            assertThat(check.egressAllowed(pod(role), OUTSIDE, 53)).as(role).isTrue();
            assertThat(check.egressAllowed(pod(role), OUTSIDE, 6443)).as(role)
                    .isEqualTo(role.equals("router") || role.equals("controller"));
        }
    }

    @Test
    void apiServerEgressGoesToTheGivenAddressesOnly() {
        for (String role : List.of("router", "controller")) {
            assertThat(defaults.named(V1NetworkPolicy.class, name(role)).getSpec().getEgress())
                    .filteredOn(rule -> rule.getPorts() != null && rule.getPorts().stream()
                            .anyMatch(p -> p.getPort().getIntValue() == 6443))
                    .singleElement().satisfies(rule -> assertThat(rule.getTo()).extracting(p -> p.getIpBlock().getCidr())
                            .containsExactly(Chart.API_SERVER));
        }
    }

    @Test
    void refusesToRenderWithoutTheApiServersAddress() {
        assertThat(Chart.withDefaults().values("networkPolicy:\n  apiServer:\n    cidrs: []\n").refusal())
                .contains("networkPolicy.apiServer.cidrs is empty").contains("kubectl get endpoints kubernetes");
        assertThat(Chart.withDefaults().values("networkPolicy:\n  enabled: false\n  apiServer:\n    cidrs: []\n")
                .render().all(V1NetworkPolicy.class)).isEmpty();
    }

    @Test
    void actuatorAndStatusPortsAreClosedToEveryoneByDefault() {
        Pod prometheus = new Pod(Map.of("app.kubernetes.io/name", "prometheus"));

        for (var port : Map.of("router", 8082, "expert", 8061, "gateway", 8051, "controller", 8083).entrySet()) {
            assertThat(check.ingressAllowed(prometheus, pod(port.getKey()), port.getValue())).as(port.getKey()).isFalse();
            assertThat(callers(pod(port.getKey()), port.getValue())).as(port.getKey()).isEmpty();
        }
        assertThat(check.ingressAllowed(STRANGER, pod("controller"), 50053)).isFalse();
    }

    @Test
    void prometheusScrapesTheActuatorPortsWhenNamedInMetricsFrom() {
        Manifests open = Chart.withDefaults().values("""
                networkPolicy:
                  metrics:
                    from:
                      - podSelector: {matchLabels: {app.kubernetes.io/name: prometheus}}
                """).render();
        PolicyCheck opened = new PolicyCheck(open.all(V1NetworkPolicy.class));
        Pod prometheus = new Pod(Map.of("app.kubernetes.io/name", "prometheus"));

        assertThat(opened.ingressAllowed(prometheus, pod("router"), 8082)).isTrue();
        assertThat(opened.ingressAllowed(prometheus, pod("expert"), 8061)).isTrue();
        assertThat(opened.ingressAllowed(prometheus, pod("controller"), 8083)).isTrue();
        assertThat(opened.ingressAllowed(prometheus, pod("expert"), 50061)).isFalse();
        assertThat(opened.ingressAllowed(prometheus, pod("controller"), 50053)).isFalse();
        assertThat(opened.ingressAllowed(STRANGER, pod("router"), 8082)).isFalse();
    }

    @Test
    void theControllersApiOpensToThePeersNamedInControllerFrom() {
        Manifests open = Chart.withDefaults().values("""
                networkPolicy:
                  controller:
                    from:
                      - podSelector: {matchLabels: {app: ops-console}}
                """).render();
        PolicyCheck opened = new PolicyCheck(open.all(V1NetworkPolicy.class));
        Pod console = new Pod(Map.of("app", "ops-console"));

        assertThat(opened.ingressAllowed(console, pod("controller"), 50053)).isTrue();
        assertThat(opened.ingressAllowed(console, pod("controller"), 8083)).isTrue();
        assertThat(opened.ingressAllowed(console, pod("router"), 8082)).isFalse();
        assertThat(opened.ingressAllowed(STRANGER, pod("controller"), 50053)).isFalse();
    }

    @Test
    void aServiceMonitorNeedsThePrometheusPeersNamed() {
        assertThat(Chart.withDefaults().set("metrics.serviceMonitor.enabled", true).refusal())
                .contains("networkPolicy.metrics.from is empty");
    }

    @Test
    void everyPodOfTheReleaseIsSelectedForIngressAndEgress() {
        List<V1Deployment> deployments = defaults.all(V1Deployment.class);

        assertThat(deployments).hasSize(19).allSatisfy(d -> {
            Pod pod = new Pod(Manifests.podLabels(d));
            assertThat(check.ingressAllowed(STRANGER, pod, 12345)).as(d.getMetadata().getName()).isFalse();
            assertThat(check.egressAllowed(pod, STRANGER, 12345)).as(d.getMetadata().getName()).isFalse();
        });
    }

    /**
     * Kubelet probes come from the node, which NetworkPolicy does not restrict toward its own pods
     * (the existing gRPC probes pass policies that admit only mesh peers): the plaintext health
     * port of a TLS component needs no rule, and gets none, so no pod can reach it.
     */
    @Test
    void thePlaintextHealthPortOfTlsComponentsIsOpenedToNoPeer() {
        PolicyCheck mtls = new PolicyCheck(Chart.withDefaults().set("security.mtls.enabled", true).render()
                .all(V1NetworkPolicy.class));

        for (String role : ROLES) {
            for (String caller : ROLES) {
                assertThat(mtls.ingressAllowed(pod(caller), pod(role), 50059)).as(caller + " -> " + role).isFalse();
            }
            assertThat(mtls.ingressAllowed(STRANGER, pod(role), 50059)).as(role).isFalse();
        }
        assertThat(mtls.ingressAllowed(pod("router"), pod("expert"), 50061)).as("the TLS port itself").isTrue();
    }

    @Test
    void noPoliciesWhenTurnedOff() {
        assertThat(Chart.withDefaults().set("networkPolicy.enabled", false).render().all(V1NetworkPolicy.class)).isEmpty();
    }

    /** Roles the target's ingress admits on the port (its egress policy aside: the target's own guard). */
    private static Set<String> callers(Pod target, int port) {
        return ROLES.stream().filter(role -> check.ingressAllowed(pod(role), target, port)).collect(Collectors.toSet());
    }

    private static String name(String role) {
        return Chart.RELEASE + "-" + (role.equals("controller") ? "placement-controller" : role);
    }

    private static Pod pod(String role) {
        return new Pod(Manifests.podLabels(defaults.deployments(role).getFirst()));
    }
}
