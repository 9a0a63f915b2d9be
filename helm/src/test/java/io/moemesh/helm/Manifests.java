package io.moemesh.helm;

import com.google.gson.Gson;
import com.google.gson.JsonParser;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.util.ModelMapper;
import io.kubernetes.client.util.Yaml;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Rendered manifests as the official Kubernetes client's model classes ({@code V1Deployment},
 * {@code V2HorizontalPodAutoscaler}, ...). Parsing is strict: a field the Kubernetes API does not
 * have (a typo in a template) fails it. Kinds the client has no class for (the ServiceMonitor
 * CRD) come back as {@link DynamicKubernetesObject}.
 */
record Manifests(List<KubernetesObject> objects) {

    static Manifests parse(String rendered) {
        org.yaml.snakeyaml.Yaml plain = new org.yaml.snakeyaml.Yaml(new SafeConstructor(new LoaderOptions()));
        List<KubernetesObject> objects = new ArrayList<>();
        for (Object document : plain.loadAll(rendered)) {
            if (document instanceof Map<?, ?> manifest) {
                objects.add(typed(manifest, plain.dump(manifest)));
            } else if (document != null) {
                throw new IllegalArgumentException("a rendered document is not a mapping: " + document);
            }
        }
        return new Manifests(List.copyOf(objects));
    }

    private static KubernetesObject typed(Map<?, ?> manifest, String yaml) {
        Class<?> type = ModelMapper.getApiTypeClass((String) manifest.get("apiVersion"), (String) manifest.get("kind"));
        if (type == null || type == DynamicKubernetesObject.class) {
            return new DynamicKubernetesObject(JsonParser.parseString(new Gson().toJson(manifest)).getAsJsonObject());
        }
        return (KubernetesObject) Yaml.loadAs(yaml, type);
    }

    <T extends KubernetesObject> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends KubernetesObject> T named(Class<T> type, String name) {
        return all(type).stream().filter(o -> name.equals(o.getMetadata().getName())).findFirst()
                .orElseThrow(() -> new NoSuchElementException("no " + type.getSimpleName() + " " + name + " rendered"));
    }

    List<String> names(Class<? extends KubernetesObject> type) {
        return all(type).stream().map(o -> o.getMetadata().getName()).toList();
    }

    List<DynamicKubernetesObject> custom(String kind) {
        return all(DynamicKubernetesObject.class).stream().filter(o -> kind.equals(o.getKind())).toList();
    }

    /** The Deployments of one moemesh.io/role (expert, router, gateway, controller). */
    List<V1Deployment> deployments(String role) {
        return all(V1Deployment.class).stream().filter(d -> role.equals(podLabels(d).get("moemesh.io/role"))).toList();
    }

    static Map<String, String> podLabels(V1Deployment deployment) {
        return deployment.getSpec().getTemplate().getMetadata().getLabels();
    }

    static V1PodSpec pod(V1Deployment deployment) {
        return deployment.getSpec().getTemplate().getSpec();
    }

    /** The service's own container (every pod has one; init containers aside). */
    static V1Container mainContainer(V1Deployment deployment) {
        List<V1Container> containers = pod(deployment).getContainers();
        if (containers.size() != 1) {
            throw new IllegalStateException(deployment.getMetadata().getName() + " has " + containers.size() + " containers");
        }
        return containers.getFirst();
    }

    static Stream<V1Container> allContainers(V1Deployment deployment) {
        V1PodSpec pod = pod(deployment);
        return Stream.concat(pod.getInitContainers() == null ? Stream.empty() : pod.getInitContainers().stream(),
                pod.getContainers().stream());
    }

    /** The value of {@code --name=value} among a container's args; fails when absent. */
    static String arg(V1Container container, String name) {
        String prefix = "--" + name + "=";
        return container.getArgs().stream().filter(a -> a.startsWith(prefix)).map(a -> a.substring(prefix.length()))
                .findFirst().orElseThrow(() -> new NoSuchElementException(container.getName() + " has no " + prefix));
    }

    static String expertName(int expert) {
        return Chart.RELEASE + "-expert-" + expert;
    }
}
