package io.moemesh.router.discovery.kubernetes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code moemesh.router.kubernetes.*}: where a router with {@code moemesh.router.discovery=kubernetes}
 * finds its expert endpoints.
 *
 * @param namespace     namespace of the expert Services' EndpointSlices; empty = the router pod's own
 *                      namespace (its service account's namespace file), or {@code default} outside a pod
 * @param labelSelector selects the expert Services' EndpointSlices (they carry their Service's labels)
 * @param portName      the EndpointSlice port that serves the expert gRPC API
 * @param apiUrl        the API server, e.g. {@code http://127.0.0.1:8001} behind {@code kubectl proxy};
 *                      empty = the client's standard configuration (in-cluster service account, or
 *                      {@code $KUBECONFIG} / {@code ~/.kube/config})
 */
@ConfigurationProperties("moemesh.router.kubernetes")
public record KubernetesDiscoveryProperties(
        @DefaultValue("") String namespace,
        @DefaultValue("moemesh.io/role=expert") String labelSelector,
        @DefaultValue("grpc") String portName,
        @DefaultValue("") String apiUrl) {

    /** Where a pod finds its own namespace. */
    public static final Path SERVICE_ACCOUNT_NAMESPACE = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

    public KubernetesDiscoveryProperties {
        if (labelSelector.isBlank()) {
            throw new IllegalArgumentException("moemesh.router.kubernetes.label-selector must not be empty: it selects"
                    + " the expert Services' EndpointSlices (e.g. moemesh.io/role=expert), and an empty one would"
                    + " select every Service in the namespace");
        }
        if (portName.isBlank()) {
            throw new IllegalArgumentException("moemesh.router.kubernetes.port-name must name the expert Services'"
                    + " gRPC port (e.g. grpc)");
        }
    }

    /** The configured namespace, else the one in {@code serviceAccountNamespace}, else {@code default}. */
    public String namespaceOr(Path serviceAccountNamespace) {
        if (!namespace.isBlank()) {
            return namespace;
        }
        if (!Files.isReadable(serviceAccountNamespace)) {
            return "default";
        }
        try {
            String own = Files.readString(serviceAccountNamespace).strip();
            return own.isEmpty() ? "default" : own;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the pod's namespace from " + serviceAccountNamespace
                    + "; set moemesh.router.kubernetes.namespace", e);
        }
    }
}
