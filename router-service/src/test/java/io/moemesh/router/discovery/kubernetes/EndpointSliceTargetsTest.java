package io.moemesh.router.discovery.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.DiscoveryV1EndpointPort;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointConditions;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import io.moemesh.router.dispatch.ExpertEndpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which EndpointSlice entries become expert endpoints, and how they are named and addressed. */
class EndpointSliceTargetsTest {

    private static V1EndpointSlice slice(String name, String addressType, V1Endpoint... endpoints) {
        return new V1EndpointSlice().apiVersion("discovery.k8s.io/v1").kind("EndpointSlice")
                .metadata(new V1ObjectMeta().name(name).namespace("moe")).addressType(addressType)
                .addPortsItem(new DiscoveryV1EndpointPort().name("metrics").port(9090).protocol("TCP"))
                .addPortsItem(new DiscoveryV1EndpointPort().name("grpc").port(50061).protocol("TCP"))
                .endpoints(List.of(endpoints));
    }

    private static V1Endpoint endpoint(String pod, String address, Boolean ready) {
        V1Endpoint e = new V1Endpoint().addAddressesItem(address)
                .conditions(ready == null ? null : new V1EndpointConditions().ready(ready));
        return pod == null ? e : e.targetRef(new V1ObjectReference().kind("Pod").name(pod).namespace("moe"));
    }

    @Test
    void turnsReadyEndpointsIntoIpAndGrpcPortNamedAfterTheirPod() {
        EndpointSliceTargets targets = EndpointSliceTargets.of(List.of(slice("expert-3-x1", "IPv4",
                endpoint("expert-3-6f9c-abcde", "10.1.0.7", true))), "grpc");

        assertThat(targets.endpoints()).containsExactly(new ExpertEndpoint("expert-3-6f9c-abcde", "10.1.0.7:50061"));
    }

    @Test
    void leavesOutEndpointsThatAreNotReadyAndCountsAnUnsetReadyAsReady() {
        EndpointSliceTargets targets = EndpointSliceTargets.of(List.of(slice("expert-0-x1", "IPv4",
                endpoint("starting", "10.1.0.1", false),
                endpoint("unknown", "10.1.0.2", null),
                endpoint("serving", "10.1.0.3", true))), "grpc");

        assertThat(targets.endpoints()).extracting(ExpertEndpoint::id).containsExactly("serving", "unknown");
    }

    @Test
    void namesAnEndpointWithoutAPodAfterItsAddress() {
        EndpointSliceTargets targets = EndpointSliceTargets.of(List.of(slice("external", "IPv4",
                endpoint(null, "192.168.5.5", true))), "grpc");

        assertThat(targets.endpoints()).containsExactly(new ExpertEndpoint("192.168.5.5:50061", "192.168.5.5:50061"));
    }

    @Test
    void bracketsIpv6AddressesAndPrefersThePodsIpv4SliceOnDualStack() {
        EndpointSliceTargets targets = EndpointSliceTargets.of(List.of(
                slice("expert-1-v6", "IPv6", endpoint("expert-1-pod", "fd00::7", true),
                        endpoint("expert-1-v6only", "fd00::8", true)),
                slice("expert-1-v4", "IPv4", endpoint("expert-1-pod", "10.1.0.9", true))), "grpc");

        assertThat(targets.endpoints()).containsExactly(new ExpertEndpoint("expert-1-pod", "10.1.0.9:50061"),
                new ExpertEndpoint("expert-1-v6only", "[fd00::8]:50061"));
    }

    @Test
    void usesTheConfiguredPortNameAndReportsSlicesThatLackIt() {
        V1EndpointSlice noGrpc = new V1EndpointSlice().metadata(new V1ObjectMeta().name("other").namespace("moe"))
                .addressType("IPv4").addPortsItem(new DiscoveryV1EndpointPort().name("http").port(8080))
                .addEndpointsItem(endpoint("web", "10.1.0.4", true));

        EndpointSliceTargets targets = EndpointSliceTargets.of(List.of(noGrpc,
                slice("expert-2-x", "IPv4", endpoint("expert-2-pod", "10.1.0.5", true))), "metrics");

        assertThat(targets.endpoints()).containsExactly(new ExpertEndpoint("expert-2-pod", "10.1.0.5:9090"));
        assertThat(targets.slicesWithoutPort()).containsExactly("moe/other");
    }

    @Test
    void sortsEndpointsByIdWhateverTheOrderOfSlices() {
        List<V1EndpointSlice> slices = List.of(slice("b", "IPv4", endpoint("pod-b", "10.1.0.2", true)),
                slice("a", "IPv4", endpoint("pod-c", "10.1.0.3", true), endpoint("pod-a", "10.1.0.1", true)));

        assertThat(EndpointSliceTargets.of(slices, "grpc").endpoints()).extracting(ExpertEndpoint::id)
                .containsExactly("pod-a", "pod-b", "pod-c");
        assertThat(EndpointSliceTargets.of(slices.reversed(), "grpc")).isEqualTo(EndpointSliceTargets.of(slices, "grpc"));
    }

    @Test
    void aSliceWithoutEndpointsContributesNothing() {
        V1EndpointSlice empty = slice("expert-4-x", "IPv4");
        empty.setEndpoints(null);

        assertThat(EndpointSliceTargets.of(List.of(empty), "grpc").endpoints()).isEmpty();
    }
}
