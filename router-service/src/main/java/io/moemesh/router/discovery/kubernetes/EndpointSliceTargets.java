package io.moemesh.router.discovery.kubernetes;

import io.kubernetes.client.openapi.models.DiscoveryV1EndpointPort;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.moemesh.router.dispatch.ExpertEndpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Expert endpoints from EndpointSlices: each ready endpoint at the slice's port named {@code portName},
 * as {@code ip:port} ({@code [ip]:port} for IPv6), with the pod's name as id ({@code targetRef}), else
 * {@code ip:port}.
 *
 * <p>Readiness follows the EndpointSlice API: {@code conditions.ready} unset means ready; a terminating
 * pod is not ready. A pod listed more than once (dual-stack slices, or two Services selecting it) is
 * one endpoint: its IPv4 address wins, then the slice that sorts first by name.
 *
 * @param endpoints         sorted by id
 * @param slicesWithoutPort {@code namespace/name} of slices that have no port named {@code portName}
 */
record EndpointSliceTargets(List<ExpertEndpoint> endpoints, List<String> slicesWithoutPort) {

    static EndpointSliceTargets of(Collection<V1EndpointSlice> slices, String portName) {
        Map<String, ExpertEndpoint> byId = new LinkedHashMap<>();
        List<String> withoutPort = new ArrayList<>();
        List<V1EndpointSlice> ordered = slices.stream().sorted(Comparator
                .comparing((V1EndpointSlice s) -> Objects.requireNonNullElse(s.getAddressType(), ""))
                .thenComparing(EndpointSliceTargets::name)).toList();
        for (V1EndpointSlice slice : ordered) {
            Optional<Integer> port = port(slice, portName);
            if (port.isEmpty()) {
                withoutPort.add(name(slice));
                continue;
            }
            for (V1Endpoint e : Objects.requireNonNullElse(slice.getEndpoints(), List.<V1Endpoint>of())) {
                if (isReady(e) && e.getAddresses() != null && !e.getAddresses().isEmpty()) {
                    ExpertEndpoint endpoint = endpoint(e, "IPv6".equals(slice.getAddressType()), port.get());
                    byId.putIfAbsent(endpoint.id(), endpoint);
                }
            }
        }
        List<ExpertEndpoint> endpoints = byId.values().stream().sorted(Comparator.comparing(ExpertEndpoint::id)).toList();
        return new EndpointSliceTargets(endpoints, withoutPort);
    }

    private static Optional<Integer> port(V1EndpointSlice slice, String portName) {
        return Objects.requireNonNullElse(slice.getPorts(), List.<DiscoveryV1EndpointPort>of()).stream()
                .filter(p -> portName.equals(p.getName()) && p.getPort() != null)
                .filter(p -> p.getProtocol() == null || "TCP".equals(p.getProtocol()))
                .map(DiscoveryV1EndpointPort::getPort).findFirst();
    }

    /** "A nil value should be interpreted as 'true'" (EndpointConditions.ready, discovery.k8s.io/v1). */
    private static boolean isReady(V1Endpoint e) {
        return e.getConditions() == null || !Boolean.FALSE.equals(e.getConditions().getReady());
    }

    /** The EndpointSlice controller writes exactly one address per endpoint; the first one is used. */
    private static ExpertEndpoint endpoint(V1Endpoint e, boolean ipv6, int port) {
        String address = e.getAddresses().getFirst();
        String target = (ipv6 ? "[" + address + "]" : address) + ":" + port;
        String pod = e.getTargetRef() != null ? e.getTargetRef().getName() : null;
        return new ExpertEndpoint(pod != null && !pod.isBlank() ? pod : target, target);
    }

    private static String name(V1EndpointSlice slice) {
        return slice.getMetadata() == null ? "" : slice.getMetadata().getNamespace() + "/" + slice.getMetadata().getName();
    }
}
