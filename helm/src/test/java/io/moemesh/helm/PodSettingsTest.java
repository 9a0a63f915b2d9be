package io.moemesh.helm;

import static io.moemesh.helm.Manifests.mainContainer;
import static io.moemesh.helm.Manifests.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1EnvVar;
import io.kubernetes.client.openapi.models.V1RoleBinding;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V1Volume;
import io.kubernetes.client.openapi.models.V1VolumeMount;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The per-component settings platform teams expect (issue 24, item 6): each renders into the
 * component's pods when given, and the defaults stay as hardened as before.
 */
class PodSettingsTest {

    /** Values key of each role. */
    private static String key(String role) {
        return switch (role) {
            case "expert" -> "experts";
            case "controller" -> "placementController";
            default -> role;
        };
    }

    private static V1Deployment first(Manifests manifests, String role) {
        return manifests.deployments(role).getFirst();
    }

    @ParameterizedTest
    @ValueSource(strings = {"expert", "router", "gateway", "controller"})
    void everySettingRendersIntoTheComponentsPods(String role) {
        Manifests manifests = Chart.withDefaults().values("""
                %s:
                  podLabels: {team: inference, moemesh.io/role: hijacked}
                  priorityClassName: moe-critical
                  topologySpreadConstraints:
                    - maxSkew: 1
                      topologyKey: topology.kubernetes.io/zone
                      whenUnsatisfiable: ScheduleAnyway
                      labelSelector: {matchLabels: {app.kubernetes.io/instance: "{{ .Release.Name }}"}}
                  terminationGracePeriodSeconds: 90
                  extraEnv: [{name: HTTPS_PROXY, value: "http://proxy.{{ .Release.Namespace }}:3128"}]
                  envFrom: [{configMapRef: {name: moe-env}}]
                  extraVolumes: [{name: ca-bundle, configMap: {name: corp-ca}}]
                  extraVolumeMounts: [{name: ca-bundle, mountPath: /etc/corp-ca, readOnly: true}]
                  probes: {startupProbe: {failureThreshold: 120}}
                """.formatted(key(role))).render();

        V1Deployment deployment = first(manifests, role);
        V1Container container = mainContainer(deployment);
        assertThat(Manifests.podLabels(deployment)).containsEntry("team", "inference").containsEntry("moemesh.io/role", role);
        assertThat(pod(deployment).getPriorityClassName()).isEqualTo("moe-critical");
        assertThat(pod(deployment).getTopologySpreadConstraints()).singleElement().satisfies(c -> assertThat(
                c.getLabelSelector().getMatchLabels()).containsEntry("app.kubernetes.io/instance", Chart.RELEASE));
        assertThat(pod(deployment).getTerminationGracePeriodSeconds()).isEqualTo(90L);
        assertThat(container.getEnv()).extracting(V1EnvVar::getName).contains("POD_NAME", "HTTPS_PROXY");
        assertThat(container.getEnv()).filteredOn(e -> e.getName().equals("HTTPS_PROXY")).singleElement()
                .extracting(V1EnvVar::getValue).isEqualTo("http://proxy.moe:3128");
        assertThat(container.getEnvFrom()).singleElement().satisfies(e -> assertThat(e.getConfigMapRef().getName()).isEqualTo("moe-env"));
        assertThat(pod(deployment).getVolumes()).extracting(V1Volume::getName).contains("tmp", "ca-bundle");
        assertThat(container.getVolumeMounts()).extracting(V1VolumeMount::getMountPath).contains("/tmp", "/etc/corp-ca");
        assertThat(container.getStartupProbe().getFailureThreshold()).isEqualTo(120);
        assertThat(container.getStartupProbe().getGrpc()).isNotNull();
        assertThat(container.getReadinessProbe().getFailureThreshold()).isEqualTo(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"expert", "router", "gateway", "controller"})
    void serviceAccountNameAndAnnotationsReachPodsAndRoleBindings(String role) {
        Manifests manifests = Chart.withDefaults().values("""
                %s:
                  serviceAccount:
                    name: moe-%s-wi
                    annotations: {iam.gke.io/gcp-service-account: moe@project.iam.gserviceaccount.com}
                """.formatted(key(role), role)).render();

        String name = "moe-" + role + "-wi";
        assertThat(pod(first(manifests, role)).getServiceAccountName()).isEqualTo(name);
        assertThat(manifests.named(V1ServiceAccount.class, name).getMetadata().getAnnotations())
                .containsEntry("iam.gke.io/gcp-service-account", "moe@project.iam.gserviceaccount.com");
        if (role.equals("router") || role.equals("controller")) {
            assertThat(manifests.all(V1RoleBinding.class)).anySatisfy(b -> assertThat(b.getSubjects())
                    .anySatisfy(s -> assertThat(s.getName()).isEqualTo(name)));
        }
    }

    @Test
    void anExistingServiceAccountIsUsedWithoutCreatingOne() {
        Manifests manifests = Chart.withDefaults().values("""
                gateway:
                  serviceAccount: {create: false, name: platform-gateway}
                """).render();

        assertThat(pod(first(manifests, "gateway")).getServiceAccountName()).isEqualTo("platform-gateway");
        assertThat(manifests.names(V1ServiceAccount.class)).doesNotContain("platform-gateway", "moe-mesh-gateway")
                .contains("moe-mesh-router");
    }

    @Test
    void openShiftCanDropTheFixedUidAndKeepTheRestHardened() {
        Manifests manifests = Chart.withDefaults().values("""
                podSecurityContext: {runAsUser: null, runAsGroup: null, fsGroup: null}
                containerSecurityContext: {runAsUser: null, runAsGroup: null}
                """).render();

        assertThat(manifests.all(V1Deployment.class)).allSatisfy(d -> {
            assertThat(pod(d).getSecurityContext().getRunAsUser()).isNull();
            assertThat(pod(d).getSecurityContext().getFsGroup()).isNull();
            assertThat(pod(d).getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(Manifests.allContainers(d)).allSatisfy(c -> {
                assertThat(c.getSecurityContext().getRunAsUser()).isNull();
                assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
                assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
            });
        });
    }

    @Test
    void aComponentsSecurityContextIsLaidOverTheChartsDefaults() {
        Manifests manifests = Chart.withDefaults().values("""
                router:
                  podSecurityContext: {supplementalGroups: [2000]}
                  securityContext: {runAsUser: 20001}
                """).render();

        V1Deployment router = first(manifests, "router");
        assertThat(pod(router).getSecurityContext().getSupplementalGroups()).containsExactly(2000L);
        assertThat(pod(router).getSecurityContext().getRunAsUser()).isEqualTo(10001L);
        assertThat(mainContainer(router).getSecurityContext().getRunAsUser()).isEqualTo(20001L);
        assertThat(mainContainer(router).getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(mainContainer(first(manifests, "gateway")).getSecurityContext().getRunAsUser()).isEqualTo(10001L);
    }

    @Test
    void aDigestPinsThatModulesImageAndWinsOverTheTag() {
        String digest = "sha256:" + "ab".repeat(32);
        Manifests manifests = Chart.withDefaults().set("image.tag", "9.9.9")
                .set("image.digests.gateway-service", digest).render();

        assertThat(mainContainer(first(manifests, "gateway")).getImage()).isEqualTo("moemesh/gateway-service@" + digest);
        assertThat(mainContainer(first(manifests, "router")).getImage()).isEqualTo("moemesh/router-service:9.9.9");
        assertThat(Chart.withDefaults().set("image.digests.gateway-service", "latest").refusal()).contains("digests");
    }

    @Test
    void extraObjectsAreRenderedThroughTpl() {
        Manifests manifests = Chart.withDefaults().values("""
                extraObjects:
                  - apiVersion: v1
                    kind: ConfigMap
                    metadata: {name: "{{ .Release.Name }}-extra"}
                    data: {model: "{{ .Values.model.name }}"}
                  - |
                    apiVersion: v1
                    kind: ConfigMap
                    metadata:
                      name: as-text
                """).render();

        assertThat(manifests.named(V1ConfigMap.class, "moe-mesh-extra").getData()).containsEntry("model", "mesh-mini-16e");
        assertThat(manifests.names(V1ConfigMap.class)).contains("as-text");
    }

    @Test
    void expertMemoryRequestsEqualLimits() {
        Manifests defaults = Chart.withDefaults().render();
        assertThat(defaults.deployments("expert")).allSatisfy(d -> assertThat(mainContainer(d).getResources().getRequests()
                .get("memory")).isEqualTo(mainContainer(d).getResources().getLimits().get("memory")));

        Manifests limitOnly = Chart.withDefaults().values("""
                experts: {resources: {requests: {cpu: "1"}, limits: {memory: 6Gi}}}
                """).render();
        assertThat(limitOnly.deployments("expert")).allSatisfy(d -> assertThat(mainContainer(d).getResources().getRequests()
                .get("memory").toSuffixedString()).isEqualTo("6Gi"));

        assertThat(Chart.withDefaults().values("""
                experts: {resources: {requests: {memory: 1Gi}, limits: {memory: 2Gi}}}
                """).refusal()).contains("resources.requests.memory (1Gi) must equal resources.limits.memory (2Gi)");
    }

    @Test
    void defaultsRenderNoneOfTheOptionalFields() {
        V1Deployment gateway = first(Chart.withDefaults().render(), "gateway");
        assertThat(pod(gateway).getPriorityClassName()).isNull();
        assertThat(pod(gateway).getTopologySpreadConstraints()).isNullOrEmpty();
        assertThat(mainContainer(gateway).getEnvFrom()).isNullOrEmpty();
        assertThat(pod(gateway).getTerminationGracePeriodSeconds()).isEqualTo(45L);
        assertThat(List.of(mainContainer(gateway).getStartupProbe().getFailureThreshold())).containsExactly(60);
    }
}
