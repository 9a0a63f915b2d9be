package io.moemesh.helm;

import static io.moemesh.helm.Manifests.expertName;
import static io.moemesh.helm.Manifests.mainContainer;
import static io.moemesh.helm.Manifests.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Volume;
import io.kubernetes.client.openapi.models.V1VolumeMount;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Routers and experts read the model from one volume at /models, whichever source values choose. */
class ModelVolumeTest {

    @ParameterizedTest
    @ValueSource(strings = {"imageCopy", "imageVolume", "pvc", "hostPath"})
    void routerAndExpertsMountTheModelReadOnlyAtModels(String source) {
        Manifests manifests = withSource(source).render();

        for (V1Deployment d : modelReaders(manifests)) {
            V1VolumeMount mount = mainContainer(d).getVolumeMounts().stream().filter(m -> m.getName().equals("model"))
                    .findFirst().orElseThrow();
            assertThat(mount.getMountPath()).as(d.getMetadata().getName()).isEqualTo("/models");
            assertThat(mount.getReadOnly()).as(d.getMetadata().getName()).isTrue();
            assertThat(pod(d).getVolumes()).extracting(V1Volume::getName).contains("model");
        }
    }

    @Test
    void gatewayAndControllerHaveNoModel() {
        Manifests defaults = Chart.withDefaults().render();

        for (String role : List.of("gateway", "controller")) {
            V1Deployment d = defaults.deployments(role).getFirst();
            assertThat(pod(d).getVolumes()).extracting(V1Volume::getName).contains("tmp").doesNotContain("model");
            assertThat(pod(d).getInitContainers()).isNullOrEmpty();
        }
    }

    @Test
    void imageCopyCopiesTheModelFromTheModelImageIntoAnEmptyDirFirst() {
        V1Deployment expert = Chart.withDefaults().render().named(V1Deployment.class, expertName(0));

        assertThat(volume(expert).getEmptyDir()).isNotNull();
        V1Container copy = pod(expert).getInitContainers().getFirst();
        assertThat(copy.getImage()).isEqualTo("moemesh/models:0.1.0");
        assertThat(copy.getCommand()).containsExactly("cp", "-R", "/models/mesh-mini-16e", "/model-copy/");
        assertThat(copy.getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getName()).isEqualTo("model");
            assertThat(m.getMountPath()).isEqualTo("/model-copy");
            assertThat(m.getReadOnly()).isNotEqualTo(Boolean.TRUE);
        });
    }

    @Test
    void imageVolumeMountsTheModelImagesModelsFolder() {
        V1Deployment router = withSource("imageVolume").set("model.source.imageVolume.reference", "registry.local/models:7")
                .render().named(V1Deployment.class, Chart.RELEASE + "-router");

        assertThat(volume(router).getImage().getReference()).isEqualTo("registry.local/models:7");
        assertThat(mainContainer(router).getVolumeMounts()).filteredOn(m -> m.getName().equals("model"))
                .singleElement().extracting(V1VolumeMount::getSubPath).isEqualTo("models");
        assertThat(pod(router).getInitContainers()).isNullOrEmpty();
    }

    @Test
    void pvcSourceMountsTheClaimReadOnly() {
        V1Volume volume = volume(withSource("pvc").render().named(V1Deployment.class, expertName(5)));

        assertThat(volume.getPersistentVolumeClaim().getClaimName()).isEqualTo("models");
        assertThat(volume.getPersistentVolumeClaim().getReadOnly()).isTrue();
    }

    @Test
    void hostPathSourceMountsTheNodeFolder() {
        V1Volume volume = volume(withSource("hostPath").render().named(V1Deployment.class, expertName(5)));

        assertThat(volume.getHostPath().getPath()).isEqualTo("/srv/models");
        assertThat(volume.getHostPath().getType()).isEqualTo("Directory");
    }

    private static Chart withSource(String source) {
        return Chart.withDefaults().set("model.source.type", source).set("model.source.pvc.claimName", "models")
                .set("model.source.hostPath.path", "/srv/models");
    }

    private static List<V1Deployment> modelReaders(Manifests manifests) {
        List<V1Deployment> readers = new java.util.ArrayList<>(manifests.deployments("expert"));
        readers.addAll(manifests.deployments("router"));
        assertThat(readers).hasSize(17);
        return readers;
    }

    private static V1Volume volume(V1Deployment deployment) {
        return pod(deployment).getVolumes().stream().filter(v -> v.getName().equals("model")).findFirst().orElseThrow();
    }
}
