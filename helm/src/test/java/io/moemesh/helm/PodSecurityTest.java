package io.moemesh.helm;

import static io.moemesh.helm.Manifests.allContainers;
import static io.moemesh.helm.Manifests.mainContainer;
import static io.moemesh.helm.Manifests.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ContainerPort;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1PodSecurityContext;
import io.kubernetes.client.openapi.models.V1Probe;
import io.kubernetes.client.openapi.models.V1SecurityContext;
import io.kubernetes.client.openapi.models.V1Volume;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every pod runs as uid 10001 on a read-only root with no capabilities, and is probed over gRPC health. */
class PodSecurityTest {

    private static List<V1Deployment> deployments;

    @BeforeAll
    static void render() {
        // the defaults (with the model copy init container) and the GPU example (PVC, runtime class)
        deployments = Stream.of(Chart.withDefaults().render(), Chart.withDefaults().example("values-gpu.yaml").render())
                .flatMap(m -> m.all(V1Deployment.class).stream()).toList();
    }

    @Test
    void rendersAPodForEveryComponent() {
        assertThat(deployments).extracting(d -> Manifests.podLabels(d).get("moemesh.io/role"))
                .contains("expert", "router", "gateway", "controller");
        assertThat(deployments).anySatisfy(d -> assertThat(pod(d).getInitContainers()).isNotEmpty());
    }

    @Test
    void everyPodRunsAsUser10001WithTheRuntimeDefaultSeccompProfile() {
        assertThat(deployments).allSatisfy(d -> {
            V1PodSecurityContext context = pod(d).getSecurityContext();
            assertThat(context.getRunAsNonRoot()).isTrue();
            assertThat(context.getRunAsUser()).isEqualTo(10001L);
            assertThat(context.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        });
    }

    @Test
    void everyContainerIncludingInitContainersIsLockedDown() {
        List<V1Container> containers = deployments.stream().flatMap(Manifests::allContainers).toList();

        assertThat(containers).allSatisfy(c -> {
            V1SecurityContext context = c.getSecurityContext();
            assertThat(context).as(c.getName()).isNotNull();
            assertThat(context.getRunAsNonRoot()).as(c.getName()).isTrue();
            assertThat(context.getRunAsUser()).as(c.getName()).isEqualTo(10001L);
            assertThat(context.getAllowPrivilegeEscalation()).as(c.getName()).isFalse();
            assertThat(context.getReadOnlyRootFilesystem()).as(c.getName()).isTrue();
            assertThat(context.getCapabilities().getDrop()).as(c.getName()).containsExactly("ALL");
            assertThat(context.getCapabilities().getAdd()).as(c.getName()).isNullOrEmpty();
            assertThat(context.getPrivileged()).as(c.getName()).isNotEqualTo(Boolean.TRUE);
            assertThat(context.getSeccompProfile().getType()).as(c.getName()).isEqualTo("RuntimeDefault");
        });
    }

    @Test
    void everyContainerHasAWritableTmpOnAnEmptyDir() {
        assertThat(deployments).allSatisfy(d -> {
            V1Volume tmp = pod(d).getVolumes().stream().filter(v -> v.getName().equals("tmp")).findFirst().orElseThrow();
            assertThat(tmp.getEmptyDir()).as(d.getMetadata().getName()).isNotNull();
            assertThat(allContainers(d)).allSatisfy(c -> assertThat(c.getVolumeMounts())
                    .anySatisfy(m -> {
                        assertThat(m.getName()).isEqualTo("tmp");
                        assertThat(m.getMountPath()).isEqualTo("/tmp");
                        assertThat(m.getReadOnly()).isNotEqualTo(Boolean.TRUE);
                    }));
        });
    }

    @Test
    void everyServiceIsProbedOverGrpcHealthOnItsGrpcPort() {
        assertThat(deployments).allSatisfy(d -> {
            V1Container container = mainContainer(d);
            int grpcPort = container.getPorts().stream().filter(p -> "grpc".equals(p.getName()))
                    .map(V1ContainerPort::getContainerPort).findFirst().orElseThrow();
            for (V1Probe probe : List.of(container.getStartupProbe(), container.getReadinessProbe(), container.getLivenessProbe())) {
                assertThat(probe.getGrpc()).as(d.getMetadata().getName()).isNotNull();
                assertThat(probe.getGrpc().getPort()).as(d.getMetadata().getName()).isEqualTo(grpcPort);
                assertThat(probe.getHttpGet()).isNull();
                assertThat(probe.getTcpSocket()).isNull();
            }
        });
    }
}
