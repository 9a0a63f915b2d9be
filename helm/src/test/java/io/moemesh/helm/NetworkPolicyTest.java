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
    void onlyGatewaysAndTheControllerReachTheRoutersGrpcPort() {
        assertThat(callers(pod("router"), 50052)).containsExactlyInAnyOrder("gateway", "controller");
        assertThat(check.allows(OUTSIDE, pod("router"), 50052)).isFalse();
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
        assertThat(check.allows(pod("controller"), pod("router"), 50052)).isTrue();
        assertThat(check.allows(pod("gateway"), pod("router"), 50052)).isTrue();
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
    void prometheusMayScrapeTheActuatorPorts() {
        Pod prometheus = new Pod(Map.of("app.kubernetes.io/name", "prometheus"));

        assertThat(check.ingressAllowed(prometheus, pod("router"), 8082)).isTrue();
        assertThat(check.ingressAllowed(prometheus, pod("expert"), 8061)).isTrue();
        assertThat(check.ingressAllowed(prometheus, pod("expert"), 50061)).isFalse();
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

    @Test
    void noPoliciesWhenTurnedOff() {
        assertThat(Chart.withDefaults().set("networkPolicy.enabled", false).render().all(V1NetworkPolicy.class)).isEmpty();
    }

    /** Roles the target's ingress admits on the port (its egress policy aside: the target's own guard). */
    private static Set<String> callers(Pod target, int port) {
        return ROLES.stream().filter(role -> check.ingressAllowed(pod(role), target, port)).collect(Collectors.toSet());
    }

    private static Pod pod(String role) {
        return new Pod(Manifests.podLabels(defaults.deployments(role).getFirst()));
    }
}
