package io.moemesh.helm;

import io.kubernetes.client.openapi.models.V1LabelSelector;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.kubernetes.client.openapi.models.V1NetworkPolicyPeer;
import io.kubernetes.client.openapi.models.V1NetworkPolicyPort;
import java.util.List;
import java.util.Map;

/**
 * What a set of NetworkPolicies lets through, for traffic between pods of one namespace: the
 * NetworkPolicy semantics the chart relies on (a pod selected by no policy of a direction is open
 * in that direction; otherwise some rule must match the peer and the port). Label selectors are
 * matched on matchLabels; the chart uses no matchExpressions in policies, and a selector that has
 * some fails the check rather than being misread.
 */
record PolicyCheck(List<V1NetworkPolicy> policies) {

    /** A pod, as NetworkPolicies see it; {@code labels} null stands for an address outside the cluster. */
    record Pod(Map<String, String> labels) {
    }

    boolean allows(Pod from, Pod to, int port) {
        return egressAllowed(from, to, port) && ingressAllowed(from, to, port);
    }

    boolean ingressAllowed(Pod from, Pod to, int port) {
        List<V1NetworkPolicy> selecting = selecting(to, "Ingress");
        return selecting.isEmpty() || selecting.stream().flatMap(p -> p.getSpec().getIngress().stream())
                .anyMatch(rule -> peers(rule.getFrom(), from) && ports(rule.getPorts(), port));
    }

    boolean egressAllowed(Pod from, Pod to, int port) {
        if (from.labels() == null) {
            return true;
        }
        List<V1NetworkPolicy> selecting = selecting(from, "Egress");
        return selecting.isEmpty() || selecting.stream().flatMap(p -> p.getSpec().getEgress().stream())
                .anyMatch(rule -> peers(rule.getTo(), to) && ports(rule.getPorts(), port));
    }

    private List<V1NetworkPolicy> selecting(Pod pod, String type) {
        if (pod.labels() == null) {
            return List.of();
        }
        return policies.stream().filter(p -> p.getSpec().getPolicyTypes().contains(type))
                .filter(p -> matches(p.getSpec().getPodSelector(), pod.labels())).toList();
    }

    private static boolean peers(List<V1NetworkPolicyPeer> peers, Pod pod) {
        return peers == null || peers.isEmpty() || peers.stream().anyMatch(peer -> peer(peer, pod));
    }

    private static boolean peer(V1NetworkPolicyPeer peer, Pod pod) {
        if (peer.getIpBlock() != null) {
            return pod.labels() == null;
        }
        if (pod.labels() == null) {
            return false;
        }
        // a namespaceSelector alone ({} = every namespace) admits every pod of those namespaces, this one included
        return peer.getPodSelector() == null ? peer.getNamespaceSelector() != null : matches(peer.getPodSelector(), pod.labels());
    }

    private static boolean ports(List<V1NetworkPolicyPort> ports, int port) {
        return ports == null || ports.isEmpty() || ports.stream().anyMatch(p -> p.getPort().getIntValue() == port);
    }

    private static boolean matches(V1LabelSelector selector, Map<String, String> labels) {
        if (selector.getMatchExpressions() != null && !selector.getMatchExpressions().isEmpty()) {
            throw new IllegalArgumentException("matchExpressions are not evaluated: " + selector);
        }
        Map<String, String> wanted = selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
        return labels.entrySet().containsAll(wanted.entrySet());
    }
}
