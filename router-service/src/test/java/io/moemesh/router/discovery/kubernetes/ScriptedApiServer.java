package io.moemesh.router.discovery.kubernetes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;

/**
 * A Kubernetes API server for EndpointSlices that says what the test scripts, over real HTTP: every
 * LIST gets the list the test set last (an {@code EndpointSliceList}, or an error), and each WATCH the
 * next scripted watch response: newline-delimited watch events in a chunked body, as the API server
 * streams them. A watch response ends after its events, and the client watches again from the last
 * resourceVersion it saw, which takes the next scripted response (an empty one if the test scripts
 * none for 30 s). Every request is recorded.
 */
public final class ScriptedApiServer implements AutoCloseable {

    private static final int CHUNK_BYTES = 64; // small: events span chunks, chunks span events

    private final MockWebServer server = new MockWebServer();
    private final BlockingQueue<MockResponse> watches = new LinkedBlockingQueue<>();
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private volatile MockResponse list = json(200, sliceList("1"));
    private volatile boolean closed;

    public ScriptedApiServer() {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
                requests.add(request);
                if (!"true".equals(request.getRequestUrl().queryParameter("watch"))) {
                    return list;
                }
                MockResponse next = closed ? null : watches.poll(30, TimeUnit.SECONDS);
                return next != null ? next : json(200, "");
            }
        });
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The API server's base URL, as {@code moemesh.router.kubernetes.api-url}. */
    public String url() {
        String url = server.url("/").toString();
        return url.substring(0, url.length() - 1);
    }

    /** Every LIST from now on gets these slices at this resourceVersion. */
    public void list(String resourceVersion, String... slices) {
        list = json(200, sliceList(resourceVersion, slices));
    }

    /** Every LIST from now on gets this error, as the API server words it. */
    public void refuseList(int code, String reason, String message) {
        list = json(code, status(code, reason, message));
    }

    /** The next WATCH gets these events, one per line, and then ends. */
    public void watch(String... events) {
        watches.add(new MockResponse().setHeader("Content-Type", "application/json")
                .setChunkedBody(String.join("\n", events) + "\n", CHUNK_BYTES));
    }

    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    public List<RecordedRequest> lists() {
        return requests.stream().filter(r -> !"true".equals(r.getRequestUrl().queryParameter("watch"))).toList();
    }

    public List<RecordedRequest> watches() {
        return requests.stream().filter(r -> "true".equals(r.getRequestUrl().queryParameter("watch"))).toList();
    }

    public static String sliceList(String resourceVersion, String... slices) {
        return """
                {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSliceList",\
                "metadata":{"resourceVersion":"%s"},"items":[%s]}""".formatted(resourceVersion, String.join(",", slices));
    }

    /**
     * The EndpointSlice the EndpointSlice controller keeps for expert Service {@code service}: its labels
     * (with {@code kubernetes.io/service-name}), a {@code grpc} port 50061 and a {@code metrics} port.
     */
    public static String slice(String service, String resourceVersion, String... endpoints) {
        return slice(service, resourceVersion, 50061, endpoints);
    }

    /** As {@link #slice(String, String, String...)}, with the {@code grpc} port at {@code grpcPort}. */
    public static String slice(String service, String resourceVersion, int grpcPort, String... endpoints) {
        return """
                {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",\
                "metadata":{"name":"%1$s-x7k2p","namespace":"moe","resourceVersion":"%2$s",\
                "labels":{"app.kubernetes.io/part-of":"moe-mesh","moemesh.io/role":"expert",\
                "kubernetes.io/service-name":"%1$s"}},\
                "addressType":"IPv4",\
                "ports":[{"name":"metrics","port":9090,"protocol":"TCP"},{"name":"grpc","port":%3$d,"protocol":"TCP"}],\
                "endpoints":[%4$s]}""".formatted(service, resourceVersion, grpcPort, String.join(",", endpoints));
    }

    /** One endpoint of a slice: pod {@code pod} at {@code ip}; a pod that is not ready is also not serving. */
    public static String endpoint(String pod, String ip, boolean ready) {
        return """
                {"addresses":["%s"],"conditions":{"ready":%b,"serving":%b,"terminating":false},\
                "targetRef":{"kind":"Pod","namespace":"moe","name":"%s"},"nodeName":"node-1"}"""
                .formatted(ip, ready, ready, pod);
    }

    /** One line of a watch stream. */
    public static String event(String type, String object) {
        return "{\"type\":\"" + type + "\",\"object\":" + object + "}";
    }

    /** The ERROR event an API server sends when a watch's resourceVersion is too old to resume from. */
    public static String expired(String resourceVersion) {
        return event("ERROR", status(410, "Expired", "too old resource version: " + resourceVersion));
    }

    private static String status(int code, String reason, String message) {
        return """
                {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"%s","reason":"%s",\
                "code":%d}""".formatted(message, reason, code);
    }

    private static MockResponse json(int code, String body) {
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json").setBody(body);
    }

    @Override
    public void close() {
        closed = true;
        watches.add(json(200, "")); // frees a watch that waits for a script
        try {
            server.shutdown();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
