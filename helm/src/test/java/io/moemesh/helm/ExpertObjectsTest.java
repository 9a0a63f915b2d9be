package io.moemesh.helm;

import static io.moemesh.helm.Manifests.arg;
import static io.moemesh.helm.Manifests.expertName;
import static io.moemesh.helm.Manifests.mainContainer;
import static io.moemesh.helm.Manifests.podLabels;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One Deployment, Service, HPA and PDB per expert, each aimed at that expert's pods only. */
class ExpertObjectsTest {

    private static Manifests defaults;

    @BeforeAll
    static void render() {
        defaults = Chart.withDefaults().render();
    }

    @Test
    void rendersDeploymentServiceHpaAndPdbForEachOfTheSixteenDefaultExperts() {
        List<String> experts = IntStream.range(0, 16).mapToObj(Manifests::expertName).toList();

        assertThat(defaults.deployments("expert")).extracting(d -> d.getMetadata().getName())
                .containsExactlyInAnyOrderElementsOf(experts);
        assertThat(defaults.names(V1Service.class)).containsAll(experts);
        assertThat(defaults.names(V2HorizontalPodAutoscaler.class)).containsAll(experts);
        assertThat(defaults.names(V1PodDisruptionBudget.class)).containsExactlyInAnyOrderElementsOf(experts);
    }

    @Test
    void rendersExactlyTheListedExpertsWhenAListIsGiven() {
        Manifests listed = Chart.withDefaults().values("experts:\n  list: [0, 3, 7, 12]\n").render();
        List<String> experts = List.of(expertName(0), expertName(3), expertName(7), expertName(12));

        assertThat(listed.deployments("expert")).extracting(d -> d.getMetadata().getName())
                .containsExactlyInAnyOrderElementsOf(experts);
        assertThat(listed.names(V1PodDisruptionBudget.class)).containsExactlyInAnyOrderElementsOf(experts);
        assertThat(listed.names(V2HorizontalPodAutoscaler.class)).filteredOn(n -> n.contains("-expert-"))
                .containsExactlyInAnyOrderElementsOf(experts);
        assertThat(listed.names(V1Service.class)).filteredOn(n -> n.contains("-expert-"))
                .containsExactlyInAnyOrderElementsOf(experts);
    }

    @Test
    void eachExpertDeploymentServesOneExpertWithItsOwnLabels() {
        for (int e = 0; e < 16; e++) {
            V1Deployment deployment = defaults.named(V1Deployment.class, expertName(e));

            assertThat(podLabels(deployment)).containsEntry("moemesh.io/role", "expert")
                    .containsEntry("moemesh.io/expert", Integer.toString(e))
                    .containsEntry("app.kubernetes.io/part-of", "moe-mesh")
                    .containsEntry("app.kubernetes.io/component", "expert")
                    .containsEntry("app.kubernetes.io/instance", Chart.RELEASE);
            assertThat(arg(mainContainer(deployment), "moemesh.expert.experts")).isEqualTo(Integer.toString(e));
        }
    }

    @Test
    void everyDeploymentSelectsItsOwnPodTemplateAndNoOtherDeploymentsPods() {
        List<V1Deployment> deployments = defaults.all(V1Deployment.class);

        for (V1Deployment d : deployments) {
            Map<String, String> selector = d.getSpec().getSelector().getMatchLabels();
            assertThat(selects(selector, podLabels(d))).as(d.getMetadata().getName()).isTrue();
            assertThat(deployments).filteredOn(other -> other != d && selects(selector, podLabels(other)))
                    .as("pods of other Deployments selected by %s", d.getMetadata().getName()).isEmpty();
        }
    }

    @Test
    void everyServiceSelectsThePodsOfTheDeploymentItIsNamedFor() {
        for (V1Service service : defaults.all(V1Service.class)) {
            String name = service.getMetadata().getName();
            // the gateway's actuator sits on <gateway>-metrics, beside its public Service; the routers'
            // headless Service (router fan-in) on <router>-headless
            V1Deployment target = defaults.named(V1Deployment.class, name.replaceFirst("-(metrics|headless)$", ""));

            assertThat(podsSelected(service.getSpec().getSelector())).as(name).containsExactly(target);
        }
    }

    @Test
    void everyPodDisruptionBudgetSelectsExactlyItsExpertsPods() {
        for (V1PodDisruptionBudget pdb : defaults.all(V1PodDisruptionBudget.class)) {
            String name = pdb.getMetadata().getName();

            assertThat(podsSelected(pdb.getSpec().getSelector().getMatchLabels())).as(name)
                    .containsExactly(defaults.named(V1Deployment.class, name));
            assertThat(pdb.getSpec().getMaxUnavailable().getIntValue()).isEqualTo(1);
        }
    }

    @Test
    void minAvailableReplacesMaxUnavailableWhenSet() {
        Manifests strict = Chart.withDefaults().set("experts.podDisruptionBudget.minAvailable", "50%").render();

        assertThat(strict.all(V1PodDisruptionBudget.class)).hasSize(16).allSatisfy(pdb -> {
            assertThat(pdb.getSpec().getMinAvailable().getStrValue()).isEqualTo("50%");
            assertThat(pdb.getSpec().getMaxUnavailable()).isNull();
        });
        assertThat(Chart.withDefaults().set("experts.podDisruptionBudget.enabled", false).render()
                .all(V1PodDisruptionBudget.class)).isEmpty();
    }

    @Test
    void everyAutoscalerScalesTheDeploymentOfItsName() {
        List<V2HorizontalPodAutoscaler> hpas = defaults.all(V2HorizontalPodAutoscaler.class);

        assertThat(hpas).extracting(h -> h.getMetadata().getName())
                .contains(Chart.RELEASE + "-router", Chart.RELEASE + "-gateway");
        for (V2HorizontalPodAutoscaler hpa : hpas) {
            var target = hpa.getSpec().getScaleTargetRef();
            assertThat(target.getApiVersion()).isEqualTo("apps/v1");
            assertThat(target.getKind()).isEqualTo("Deployment");
            assertThat(target.getName()).isEqualTo(hpa.getMetadata().getName());
            assertThat(defaults.names(V1Deployment.class)).contains(target.getName());
        }
    }

    @Test
    void autoscaledDeploymentsLeaveTheReplicaCountToTheirAutoscaler() {
        // a replicas field would reset the HPA's choice on every helm upgrade
        assertThat(defaults.deployments("expert")).allSatisfy(d -> assertThat(d.getSpec().getReplicas()).isNull());

        Manifests fixed = Chart.withDefaults().set("experts.autoscaling.enabled", false).set("experts.replicas", 2).render();
        assertThat(fixed.deployments("expert")).allSatisfy(d -> assertThat(d.getSpec().getReplicas()).isEqualTo(2));
        assertThat(fixed.names(V2HorizontalPodAutoscaler.class)).noneMatch(n -> n.contains("-expert-"));
    }

    @Test
    void perExpertOverrideChangesOnlyThatExpertsScalingBoundsAndResources() {
        Manifests overridden = Chart.withDefaults().values("""
                experts:
                  overrides:
                    "5":
                      autoscaling: {minReplicas: 2, maxReplicas: 9}
                      resources: {requests: {cpu: "3", memory: 3Gi}, limits: {memory: 3Gi}}
                """).render();

        V2HorizontalPodAutoscaler five = overridden.named(V2HorizontalPodAutoscaler.class, expertName(5));
        V2HorizontalPodAutoscaler six = overridden.named(V2HorizontalPodAutoscaler.class, expertName(6));
        assertThat(List.of(five.getSpec().getMinReplicas(), five.getSpec().getMaxReplicas())).containsExactly(2, 9);
        assertThat(List.of(six.getSpec().getMinReplicas(), six.getSpec().getMaxReplicas())).containsExactly(1, 4);
        assertThat(mainContainer(overridden.named(V1Deployment.class, expertName(5))).getResources().getRequests()
                .get("cpu").toSuffixedString()).isEqualTo("3");
        assertThat(mainContainer(overridden.named(V1Deployment.class, expertName(6))).getResources().getRequests()
                .get("cpu").toSuffixedString()).isEqualTo("500m");
    }

    private List<V1Deployment> podsSelected(Map<String, String> selector) {
        return defaults.all(V1Deployment.class).stream().filter(d -> selects(selector, podLabels(d))).toList();
    }

    private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
    }
}
