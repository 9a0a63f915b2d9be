package io.moemesh.placement.leadership;

import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1Lease;
import io.kubernetes.client.openapi.models.V1LeaseSpec;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.RecordedRequest;

/**
 * The Lease endpoints of an API server, for one Lease, as a MockWebServer dispatcher: get, create
 * (409 when it exists) and replace, which carries the resource version read and is refused with 409
 * when the Lease changed since, as the API server does. Logs every exchange ({@code "POST 201
 * controller-a"}: method, status, holder written).
 */
final class LeaseEndpoint extends Dispatcher {

    static final String NAMESPACE = "moe";
    static final String NAME = "moe-mesh-placement-controller";
    static final String COLLECTION = "/apis/coordination.k8s.io/v1/namespaces/" + NAMESPACE + "/leases";
    static final String ITEM = COLLECTION + "/" + NAME;

    private V1Lease lease; // guarded by this
    private long version; // guarded by this
    private final List<String> exchanges = new CopyOnWriteArrayList<>();
    private volatile boolean down;

    static LeaseEndpoint empty() {
        return new LeaseEndpoint();
    }

    /** A Lease that {@code holder} has just renewed. */
    static LeaseEndpoint heldBy(String holder) {
        LeaseEndpoint endpoint = new LeaseEndpoint();
        OffsetDateTime now = OffsetDateTime.now();
        endpoint.store(new V1Lease().metadata(new V1ObjectMeta().name(NAME).namespace(NAMESPACE))
                .spec(new V1LeaseSpec().holderIdentity(holder).leaseDurationSeconds(15).acquireTime(now)
                        .renewTime(now).leaseTransitions(0)));
        return endpoint;
    }

    /** From now on every request gets 503, as from an API server that is unreachable behind its proxy. */
    void goDown() {
        down = true;
    }

    List<String> exchanges() {
        return List.copyOf(exchanges);
    }

    /** Holder identities of the creates and replaces it accepted, in order. */
    List<String> acceptedWrites() {
        return exchanges.stream().filter(e -> e.matches("(POST|PUT) 20\\d .*")).map(e -> e.split(" ", 3)[2]).toList();
    }

    synchronized String holder() {
        return lease == null ? null : lease.getSpec().getHolderIdentity();
    }

    @Override
    public synchronized MockResponse dispatch(RecordedRequest request) {
        String method = request.getMethod();
        V1Lease written = "GET".equals(method) ? null
                : JSON.deserialize(request.getBody().readUtf8(), V1Lease.class);
        MockResponse response = down ? status(503, "ServiceUnavailable")
                : respond(method, request.getRequestUrl().encodedPath(), written);
        exchanges.add(method + " " + response.getStatus().split(" ")[1]
                + (written == null ? "" : " " + written.getSpec().getHolderIdentity()));
        return response;
    }

    private MockResponse respond(String method, String path, V1Lease written) {
        if (path.equals(ITEM) && "GET".equals(method)) {
            return lease == null ? status(404, "NotFound") : json(200, lease);
        }
        if (path.equals(COLLECTION) && "POST".equals(method)) {
            return lease != null ? status(409, "AlreadyExists") : json(201, store(written));
        }
        if (path.equals(ITEM) && "PUT".equals(method)) {
            if (lease == null) {
                return status(404, "NotFound");
            }
            if (!Objects.equals(written.getMetadata().getResourceVersion(), lease.getMetadata().getResourceVersion())) {
                return status(409, "Conflict");
            }
            return json(200, store(written));
        }
        return status(405, "MethodNotAllowed");
    }

    private V1Lease store(V1Lease written) {
        lease = written.apiVersion("coordination.k8s.io/v1").kind("Lease");
        lease.getMetadata().setResourceVersion(String.valueOf(++version));
        return lease;
    }

    private static MockResponse json(int code, Object body) {
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
                .setBody(JSON.serialize(body));
    }

    private static MockResponse status(int code, String reason) {
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
                .setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"" + reason
                        + "\",\"code\":" + code + "}");
    }
}
