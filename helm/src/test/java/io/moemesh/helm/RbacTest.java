package io.moemesh.helm;

import static io.moemesh.helm.Manifests.expertName;
import static io.moemesh.helm.Manifests.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1ClusterRole;
import io.kubernetes.client.openapi.models.V1ClusterRoleBinding;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1PolicyRule;
import io.kubernetes.client.openapi.models.V1Role;
import io.kubernetes.client.openapi.models.V1RoleBinding;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Least privilege: namespaced Roles granting exactly the listed verbs, one ServiceAccount per component. */
class RbacTest {

    private static final String CONTROLLER = Chart.RELEASE + "-placement-controller";
    private static final String ROUTER = Chart.RELEASE + "-router";
    private static final List<String> EXPERTS = IntStream.range(0, 16).mapToObj(Manifests::expertName).toList();

    /** One verb on one resource, limited to some names or (empty) not. */
    record Grant(String group, String resource, String verb, Set<String> names) {

        static Grant of(String group, String resource, String verb) {
            return new Grant(group, resource, verb, Set.of());
        }
    }

    private static Manifests defaults;

    @BeforeAll
    static void render() {
        defaults = Chart.withDefaults().render();
    }

    @Test
    void controllerRoleGrantsExactlyWhatItsReconcilerNeeds() {
        Set<Grant> expected = new HashSet<>();
        // what KubernetesCluster and LeaseLeadership call, and nothing else (issue 24: no unused grants)
        expected.add(Grant.of("apps", "deployments", "list"));
        expected.add(new Grant("apps", "deployments", "patch", Set.copyOf(EXPERTS)));
        // KubernetesCluster.rollout: one expert Deployment read while the controller waits for it
        expected.add(new Grant("apps", "deployments", "get", Set.copyOf(EXPERTS)));
        expected.add(Grant.of("autoscaling", "horizontalpodautoscalers", "list"));
        expected.add(new Grant("autoscaling", "horizontalpodautoscalers", "patch", Set.copyOf(EXPERTS)));
        for (String verb : List.of("get", "update")) {
            expected.add(new Grant("coordination.k8s.io", "leases", verb, Set.of(CONTROLLER)));
        }
        // RBAC cannot limit create by name (the object does not exist when it is authorized)
        expected.add(Grant.of("coordination.k8s.io", "leases", "create"));
        expected.add(Grant.of("", "events", "create"));

        assertThat(grants(defaults.named(V1Role.class, CONTROLLER))).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void controllerMayTouchNoLeaseButItsOwnExceptToCreateOne() {
        assertThat(grants(defaults.named(V1Role.class, CONTROLLER))).filteredOn(g -> g.resource().equals("leases"))
                .allSatisfy(g -> assertThat(g.verb().equals("create") || g.names().equals(Set.of(CONTROLLER)))
                        .as("%s", g).isTrue());
    }

    @Test
    void controllerMayPatchNoDeploymentButTheExperts() {
        Set<String> patchable = new HashSet<>();
        grants(defaults.named(V1Role.class, CONTROLLER)).stream()
                .filter(g -> g.resource().equals("deployments") && g.verb().equals("patch"))
                .forEach(g -> patchable.addAll(g.names()));

        assertThat(patchable).containsExactlyInAnyOrderElementsOf(EXPERTS)
                .doesNotContain(ROUTER, Chart.RELEASE + "-gateway", CONTROLLER);
    }

    @Test
    void routerRoleOnlyReadsEndpointSlices() {
        Set<Grant> expected = new HashSet<>();
        // an informer: list, then watch
        expected.add(Grant.of("discovery.k8s.io", "endpointslices", "list"));
        expected.add(Grant.of("discovery.k8s.io", "endpointslices", "watch"));

        assertThat(grants(defaults.named(V1Role.class, ROUTER))).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void onlyTheRouterAndTheControllerHaveRolesAndNoneIsClusterWide() {
        assertThat(defaults.names(V1Role.class)).containsExactlyInAnyOrder(ROUTER, CONTROLLER);
        assertThat(defaults.all(V1ClusterRole.class)).isEmpty();
        assertThat(defaults.all(V1ClusterRoleBinding.class)).isEmpty();
        assertThat(defaults.all(V1Role.class)).flatMap(V1Role::getRules).allSatisfy(rule -> {
            assertThat(rule.getApiGroups()).doesNotContain("*");
            assertThat(rule.getResources()).doesNotContain("*").noneMatch(r -> r.contains("/"));
            assertThat(rule.getVerbs()).doesNotContain("*");
        });
    }

    @Test
    void eachRoleIsBoundToItsOwnComponentsServiceAccountOnly() {
        assertThat(defaults.all(V1RoleBinding.class)).hasSize(2).allSatisfy(binding -> {
            String name = binding.getMetadata().getName();
            assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
            assertThat(binding.getRoleRef().getName()).isEqualTo(name);
            assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
                assertThat(s.getKind()).isEqualTo("ServiceAccount");
                assertThat(s.getName()).isEqualTo(name);
                assertThat(s.getNamespace()).isEqualTo(Chart.NAMESPACE);
            });
        });
    }

    @Test
    void everyComponentRunsAsItsOwnServiceAccountWithATokenOnlyWhereItCallsTheApi() {
        Map<String, Boolean> tokenByRole = Map.of("expert", false, "gateway", false, "router", true, "controller", true);
        Set<String> accounts = new HashSet<>();

        for (var role : tokenByRole.entrySet()) {
            Set<String> used = new HashSet<>();
            for (V1Deployment d : defaults.deployments(role.getKey())) {
                used.add(pod(d).getServiceAccountName());
                assertThat(pod(d).getAutomountServiceAccountToken()).as(d.getMetadata().getName()).isEqualTo(role.getValue());
            }
            assertThat(used).as("service accounts of role %s", role.getKey()).hasSize(1);
            V1ServiceAccount account = defaults.named(V1ServiceAccount.class, used.iterator().next());
            assertThat(account.getAutomountServiceAccountToken()).isEqualTo(role.getValue());
            accounts.addAll(used);
        }
        assertThat(accounts).hasSize(4).doesNotContain("default");
    }

    @Test
    void noAutoscalerPatchRuleWhenNoExpertIsAutoscaled() {
        // an empty resourceNames would grant patch on every autoscaler in the namespace
        Manifests fixed = Chart.withDefaults().set("experts.autoscaling.enabled", false).render();

        assertThat(grants(fixed.named(V1Role.class, CONTROLLER)))
                .noneMatch(g -> g.resource().equals("horizontalpodautoscalers") && g.verb().equals("patch"))
                .contains(new Grant("apps", "deployments", "patch", Set.copyOf(EXPERTS)));
    }

    @Test
    void controllerPatchesFollowAnExplicitExpertList() {
        Manifests listed = Chart.withDefaults().values("experts:\n  list: [4, 11]\n").render();

        assertThat(grants(listed.named(V1Role.class, CONTROLLER))).filteredOn(g -> g.verb().equals("patch"))
                .filteredOn(g -> !g.resource().equals("events") && !g.resource().equals("leases"))
                .extracting(Grant::names).containsOnly(Set.of(expertName(4), expertName(11)));
    }

    private static Set<Grant> grants(V1Role role) {
        Set<Grant> grants = new HashSet<>();
        for (V1PolicyRule rule : role.getRules()) {
            Set<String> names = rule.getResourceNames() == null ? Set.of() : Set.copyOf(rule.getResourceNames());
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        grants.add(new Grant(group, resource, verb, names));
                    }
                }
            }
        }
        return grants;
    }
}
