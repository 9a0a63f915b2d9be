package io.moemesh.helm;

import static io.moemesh.helm.Manifests.arg;
import static io.moemesh.helm.Manifests.expertName;
import static io.moemesh.helm.Manifests.mainContainer;
import static io.moemesh.helm.Manifests.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1RollingUpdateDeployment;
import org.junit.jupiter.api.Test;

/**
 * Expert rollouts: a GPU-safe default strategy (no surge pod on a full GPU pool), per-expert
 * strategy and minReadySeconds, and a shutdown that keeps serving until the routers switched away
 * and fits the grace period (docs/kubernetes.md, "Rollouts").
 */
class ExpertRolloutTest {

    private static V1RollingUpdateDeployment rolling(Manifests manifests, int expert) {
        return manifests.named(V1Deployment.class, expertName(expert)).getSpec().getStrategy().getRollingUpdate();
    }

    @Test
    void expertsWithoutGpusSurgeANewPodBeforeAnOldOneLeaves() {
        V1RollingUpdateDeployment rolling = rolling(Chart.withDefaults().render(), 0);

        assertThat(rolling.getMaxSurge()).isEqualTo(new IntOrString(1));
        assertThat(rolling.getMaxUnavailable()).isEqualTo(new IntOrString(0));
    }

    @Test
    void expertsWithGpusReplaceInPlaceBecauseASurgePodCannotScheduleOnAFullGpuPool() {
        Manifests gpu = Chart.withDefaults().example("values-gpu.yaml").render();

        for (int e : new int[] {0, 3, 15}) {
            assertThat(rolling(gpu, e).getMaxSurge()).isEqualTo(new IntOrString(0));
            assertThat(rolling(gpu, e).getMaxUnavailable()).isEqualTo(new IntOrString(1));
        }
        assertThat(rolling(gpu, 12).getMaxSurge()).as("expert 12 runs on CPUs (gpu.count 0)")
                .isEqualTo(new IntOrString(1));
    }

    @Test
    void anExpertsOwnStrategyAndMinReadySecondsWin() {
        Manifests manifests = Chart.withDefaults().values("""
                experts:
                  minReadySeconds: 20
                  overrides:
                    "3":
                      strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: "50%", maxUnavailable: 0}}
                      minReadySeconds: 60
                    "4":
                      strategy: {type: Recreate}
                """).render();

        assertThat(rolling(manifests, 3).getMaxSurge()).isEqualTo(new IntOrString("50%"));
        assertThat(manifests.named(V1Deployment.class, expertName(3)).getSpec().getMinReadySeconds()).isEqualTo(60);
        assertThat(manifests.named(V1Deployment.class, expertName(4)).getSpec().getStrategy().getType())
                .isEqualTo("Recreate");
        assertThat(manifests.named(V1Deployment.class, expertName(5)).getSpec().getMinReadySeconds()).isEqualTo(20);
        assertThat(rolling(manifests, 5).getMaxSurge()).isEqualTo(new IntOrString(1));
    }

    @Test
    void theExpertSleepsInPreStopThenDrainsWithinItsGracePeriod() {
        V1Deployment zero = Chart.withDefaults().render().named(V1Deployment.class, expertName(0));

        assertThat(mainContainer(zero).getLifecycle().getPreStop().getSleep().getSeconds()).isEqualTo(5L);
        assertThat(arg(mainContainer(zero), "moemesh.expert.shutdown-quiet-period")).isEqualTo("2s");
        assertThat(arg(mainContainer(zero), "moemesh.expert.shutdown-max-wait")).isEqualTo("20s");
        assertThat(pod(zero).getTerminationGracePeriodSeconds()).isEqualTo(45L);
    }

    @Test
    void theControllerWaitsForEachExpertRolloutAsLongAsConfigured() {
        V1Deployment controller = Chart.withDefaults().set("placementController.rolloutTimeout", "15m").render()
                .named(V1Deployment.class, "moe-mesh-placement-controller");

        assertThat(arg(mainContainer(controller), "moemesh.controller.rollout-timeout")).isEqualTo("15m");
    }

    @Test
    void noPreStopSleepRendersNoLifecycle() {
        V1Deployment zero = Chart.withDefaults().set("experts.shutdown.preStopSleepSeconds", 0).render()
                .named(V1Deployment.class, expertName(0));

        assertThat(mainContainer(zero).getLifecycle()).isNull();
    }

    @Test
    void aGracePeriodTooShortForTheDrainIsRefused() {
        assertThat(Chart.withDefaults().set("experts.terminationGracePeriodSeconds", 30).refusal())
                .contains("experts.terminationGracePeriodSeconds (30) must exceed", "= 35s");
        assertThat(Chart.withDefaults().set("experts.shutdown.maxWait", "1500ms")
                .set("experts.terminationGracePeriodSeconds", 17).refusal()).contains("= 17s");
    }

    @Test
    void theSchemaRefusesADrainDurationItCannotCheck() {
        assertThat(Chart.withDefaults().set("experts.shutdown.maxWait", "1m").refusal()).contains("maxWait");
    }
}
