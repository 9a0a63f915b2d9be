package io.moemesh.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.reflect.TypeToken;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1ValidatingAdmissionPolicy;
import io.kubernetes.client.openapi.models.V1ValidatingAdmissionPolicyBinding;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The placement controller's patches of expert Deployments and HPAs are limited by a
 * ValidatingAdmissionPolicy: its CEL expressions, compiled and evaluated (dev.cel) against the
 * rendered expert Deployment and HPA, changed as the controller would and as an attacker holding
 * its token would.
 */
class AdmissionPolicyTest {

    private static final String CONTROLLER = "system:serviceaccount:moe:" + Chart.RELEASE + "-placement-controller";
    private static final String DEPLOY_POLICY = Chart.RELEASE + "-placement-controller-moe-deploy";
    private static final String HPA_POLICY = Chart.RELEASE + "-placement-controller-moe-hpa";

    private static Manifests defaults;
    private static AdmissionPolicyCel deployments;
    private static AdmissionPolicyCel autoscalers;

    @BeforeAll
    static void render() {
        defaults = Chart.withDefaults().render();
        deployments = new AdmissionPolicyCel(defaults.named(V1ValidatingAdmissionPolicy.class, DEPLOY_POLICY));
        autoscalers = new AdmissionPolicyCel(defaults.named(V1ValidatingAdmissionPolicy.class, HPA_POLICY));
    }

    @Test
    void everyExpressionCompiles() {
        for (AdmissionPolicyCel policy : List.of(deployments, autoscalers)) {
            assertThat(policy.expressions()).isNotEmpty().allSatisfy(e ->
                    assertThatCode(() -> AdmissionPolicyCel.compile(e)).as(e).doesNotThrowAnyException());
        }
    }

    @Test
    void policiesMatchUpdatesOfDeploymentsAndHpasAndAreBoundInTheReleasesNamespaceOnly() {
        var deploy = defaults.named(V1ValidatingAdmissionPolicy.class, DEPLOY_POLICY).getSpec();
        assertThat(deploy.getFailurePolicy()).isEqualTo("Fail");
        assertThat(deploy.getMatchConstraints().getResourceRules()).singleElement().satisfies(rule -> {
            assertThat(rule.getApiGroups()).containsExactly("apps");
            assertThat(rule.getResources()).containsExactly("deployments");
            assertThat(rule.getOperations()).containsExactly("UPDATE");
        });
        for (String name : List.of(DEPLOY_POLICY, HPA_POLICY)) {
            var binding = defaults.named(V1ValidatingAdmissionPolicyBinding.class, name).getSpec();
            assertThat(binding.getPolicyName()).isEqualTo(name);
            assertThat(binding.getValidationActions()).containsExactly("Deny");
            assertThat(binding.getMatchResources().getNamespaceSelector().getMatchLabels())
                    .containsExactlyEntriesOf(Map.of("kubernetes.io/metadata.name", Chart.NAMESPACE));
        }
    }

    @Test
    void controllerMayChangeThePartnerUnitsAnnotationAndTheReplicas() {
        var decision = deployments.update(CONTROLLER, expert(), expert(d -> {
            templateAnnotations(d).put("moemesh.io/partner-units", "3,7");
            spec(d).put("replicas", 3L);
        }));

        assertThat(decision.matched()).isTrue();
        assertThat(decision.allowed()).as(decision.denial()).isTrue();
    }

    @Test
    void controllerMayRewriteAndRemoveAnEarlierPartnerUnitsAnnotation() {
        Map<String, Object> annotated = expert(d -> templateAnnotations(d).put("moemesh.io/partner-units", "1"));

        assertThat(deployments.update(CONTROLLER, annotated, expert(d -> templateAnnotations(d)
                .put("moemesh.io/partner-units", "2"))).allowed()).isTrue();
        assertThat(deployments.update(CONTROLLER, annotated, expert()).allowed()).isTrue();
    }

    @Test
    void controllerMayNotChangeTheImage() {
        assertDenied(expert(d -> container(d).put("image", "evil/miner:latest")), "pod spec");
    }

    @Test
    void controllerMayNotAddAContainer() {
        assertDenied(expert(d -> containers(d).add(Map.of("name", "sidecar", "image", "evil/sidecar"))), "pod spec");
    }

    @Test
    void controllerMayNotChangeTheServiceAccount() {
        assertDenied(expert(d -> podSpec(d).put("serviceAccountName", Chart.RELEASE + "-placement-controller")), "pod spec");
    }

    @Test
    void controllerMayNotChangeAPodLabel() {
        assertDenied(expert(d -> templateLabels(d).put("moemesh.io/role", "router")), "pod template label");
    }

    @Test
    void controllerMayNotAddAnotherPodAnnotation() {
        assertDenied(expert(d -> templateAnnotations(d).put("container.apparmor.security.beta.kubernetes.io/expert",
                "unconfined")), "pod template label or annotation");
    }

    @Test
    void controllerMayNotChangeTheDeploymentsOwnLabels() {
        assertDenied(expert(d -> map(map(d, "metadata"), "labels").put("moemesh.io/role", "gateway")), "labels");
    }

    @Test
    void controllerMayNotChangeTheSelectorOrStrategy() {
        assertDenied(expert(d -> map(map(spec(d), "selector"), "matchLabels").put("extra", "x")), "spec.replicas only");
        assertDenied(expert(d -> spec(d).put("paused", true)), "spec.replicas only");
    }

    @Test
    void otherUsersAreNotMatched() {
        var decision = deployments.update("system:serviceaccount:moe:deployer", expert(),
                expert(d -> container(d).put("image", "new/image:2")));

        assertThat(decision.matched()).isFalse();
    }

    @Test
    void controllerMayChangeAnHpasMinReplicasOnly() {
        assertThat(autoscalers.update(CONTROLLER, hpa(), hpa(h -> spec(h).put("minReplicas", 3L))).allowed()).isTrue();

        var raised = autoscalers.update(CONTROLLER, hpa(), hpa(h -> spec(h).put("maxReplicas", 40L)));
        assertThat(raised.allowed()).isFalse();
        assertThat(raised.denial()).contains("minReplicas only");
        var retargeted = autoscalers.update(CONTROLLER, hpa(), hpa(h -> map(spec(h), "scaleTargetRef")
                .put("name", Chart.RELEASE + "-router")));
        assertThat(retargeted.allowed()).isFalse();
    }

    @Test
    void noPolicyWhenTurnedOff() {
        assertThat(Chart.withDefaults().set("rbac.admissionPolicy.enabled", false).render()
                .all(V1ValidatingAdmissionPolicy.class)).isEmpty();
    }

    private static void assertDenied(Map<String, Object> changed, String messagePart) {
        var decision = deployments.update(CONTROLLER, expert(), changed);
        assertThat(decision.matched()).isTrue();
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.denial()).contains(messagePart);
    }

    private static Map<String, Object> expert() {
        return expert(d -> { });
    }

    /** The rendered Deployment of expert 0 as the API server holds it (JSON), changed by {@code change}. */
    private static Map<String, Object> expert(Consumer<Map<String, Object>> change) {
        Map<String, Object> d = json(defaults.named(V1Deployment.class, Manifests.expertName(0)));
        change.accept(d);
        return d;
    }

    private static Map<String, Object> hpa() {
        return hpa(h -> { });
    }

    private static Map<String, Object> hpa(Consumer<Map<String, Object>> change) {
        Map<String, Object> h = json(defaults.named(V2HorizontalPodAutoscaler.class, Manifests.expertName(0)));
        change.accept(h);
        return h;
    }

    private static Map<String, Object> json(Object model) {
        JsonElement tree = new JSON().getGson().toJsonTree(model);
        Map<String, Object> plain = new Gson().fromJson(tree, new TypeToken<LinkedHashMap<String, Object>>() { }.getType());
        @SuppressWarnings("unchecked")
        Map<String, Object> typed = (Map<String, Object>) celValues(plain);
        return typed;
    }

    /** JSON numbers as CEL ints (Long) when whole, lists and maps mutable for the changes. */
    private static Object celValues(Object value) {
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> copy = new LinkedHashMap<>();
            m.forEach((k, v) -> copy.put((String) k, celValues(v)));
            return copy;
        }
        if (value instanceof List<?> l) {
            List<Object> copy = new ArrayList<>();
            l.forEach(v -> copy.add(celValues(v)));
            return copy;
        }
        if (value instanceof Double d && d == Math.rint(d)) {
            return d.longValue();
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        return (Map<String, Object>) parent.computeIfAbsent(key, k -> new LinkedHashMap<String, Object>());
    }

    private static Map<String, Object> spec(Map<String, Object> object) {
        return map(object, "spec");
    }

    private static Map<String, Object> podSpec(Map<String, Object> deployment) {
        return map(map(spec(deployment), "template"), "spec");
    }

    private static Map<String, Object> templateAnnotations(Map<String, Object> deployment) {
        return map(map(map(spec(deployment), "template"), "metadata"), "annotations");
    }

    private static Map<String, Object> templateLabels(Map<String, Object> deployment) {
        return map(map(map(spec(deployment), "template"), "metadata"), "labels");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> containers(Map<String, Object> deployment) {
        return (List<Object>) podSpec(deployment).get("containers");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> container(Map<String, Object> deployment) {
        return (Map<String, Object>) containers(deployment).getFirst();
    }
}
