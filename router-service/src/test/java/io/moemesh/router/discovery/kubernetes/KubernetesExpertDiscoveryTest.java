package io.moemesh.router.discovery.kubernetes;

import static io.moemesh.router.discovery.kubernetes.ScriptedApiServer.endpoint;
import static io.moemesh.router.discovery.kubernetes.ScriptedApiServer.event;
import static io.moemesh.router.discovery.kubernetes.ScriptedApiServer.expired;
import static io.moemesh.router.discovery.kubernetes.ScriptedApiServer.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moemesh.router.discovery.ExpertDiscovery;
import io.moemesh.router.dispatch.ExpertEndpoint;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The informer of the official client against an API server that answers what the test scripts: the
 * initial LIST, then watch streams of ADDED, MODIFIED, DELETED and ERROR events. What is asserted is
 * what the router is told: the complete set of ready endpoints after each change.
 */
class KubernetesExpertDiscoveryTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final ExpertEndpoint POD_0 = new ExpertEndpoint("expert-0-5d8f7-aaaaa", "10.1.0.10:50061");
    private static final ExpertEndpoint POD_0B = new ExpertEndpoint("expert-0-5d8f7-bbbbb", "10.1.0.11:50061");
    private static final ExpertEndpoint POD_1 = new ExpertEndpoint("expert-1-66c4d-ccccc", "10.1.0.20:50061");

    private final ScriptedApiServer api = new ScriptedApiServer();
    private final List<List<ExpertEndpoint>> reports = new CopyOnWriteArrayList<>();
    private ExpertDiscovery.Subscription subscription;

    @AfterEach
    void stop() {
        if (subscription != null) {
            subscription.close();
        }
        api.close();
    }

    private void start() {
        start(reports::add);
    }

    private void start(ExpertDiscovery.Listener listener) {
        ExpertDiscovery discovery = KubernetesExpertDiscovery.of(
                new KubernetesDiscoveryProperties("moe", "moemesh.io/role=expert", "grpc", api.url()));
        subscription = discovery.subscribe(listener);
    }

    private void awaitReports(int count) {
        await().atMost(WAIT).until(() -> reports.size() >= count);
    }

    private static String pod0(String resourceVersion, boolean ready) {
        return slice("expert-0", resourceVersion, endpoint(POD_0.id(), "10.1.0.10", ready));
    }

    private static String pod1(String resourceVersion) {
        return slice("expert-1", resourceVersion, endpoint(POD_1.id(), "10.1.0.20", true));
    }

    @Test
    void reportsTheReadyEndpointsOfTheInitialList() {
        api.list("100", pod0("90", true), slice("expert-1", "95", endpoint(POD_1.id(), "10.1.0.20", true),
                endpoint("expert-1-66c4d-starting", "10.1.0.21", false)));

        start();
        awaitReports(1);

        assertThat(reports.getFirst()).containsExactly(POD_0, POD_1);
    }

    @Test
    void reportsAnEmptySetOnceTheListIsInWhenNoExpertIsThereYet() {
        api.list("7");

        start();
        awaitReports(1);

        assertThat(reports).containsExactly(List.of());
    }

    @Test
    void followsSlicesAddedModifiedAndDeletedByTheWatch() {
        api.list("100", pod0("100", true));
        start();
        awaitReports(1);

        api.watch(event("ADDED", pod1("101")));
        awaitReports(2);
        api.watch(event("MODIFIED", slice("expert-0", "102", endpoint(POD_0.id(), "10.1.0.10", false),
                endpoint(POD_0B.id(), "10.1.0.11", true)))); // a rollout: the old pod is going, the new one ready
        awaitReports(3);
        api.watch(event("DELETED", pod1("103")));
        awaitReports(4);

        assertThat(reports).containsExactly(List.of(POD_0), List.of(POD_0, POD_1), List.of(POD_0B, POD_1),
                List.of(POD_0B));
    }

    @Test
    void readsEveryEventOfAChunkedWatchResponseInOrder() {
        api.list("100");
        start();
        awaitReports(1);

        api.watch(event("ADDED", pod0("101", true)), event("ADDED", pod1("102")), event("MODIFIED", pod0("103", false)));

        await().atMost(WAIT).until(() -> reports.getLast().equals(List.of(POD_1)));
        await().atMost(WAIT).until(() -> api.watches().size() >= 2);
        assertThat(api.watches().get(1).getRequestUrl().queryParameter("resourceVersion"))
                .as("the next watch resumes after the last event").isEqualTo("103");
    }

    @Test
    void listsAndWatchesOnlyTheSelectedSlicesOfItsNamespaceFromTheListsResourceVersion() {
        api.list("100", pod0("100", true));
        start();
        awaitReports(1);
        api.watch(event("ADDED", pod1("101")));
        await().atMost(WAIT).until(() -> api.watches().size() >= 2);

        RecordedRequest list = api.requests().getFirst();
        assertThat(list.getMethod()).isEqualTo("GET");
        assertThat(list.getRequestUrl().encodedPath()).isEqualTo("/apis/discovery.k8s.io/v1/namespaces/moe/endpointslices");
        assertThat(list.getRequestUrl().queryParameter("labelSelector")).isEqualTo("moemesh.io/role=expert");
        assertThat(api.watches()).allSatisfy(w -> {
            assertThat(w.getRequestUrl().encodedPath()).isEqualTo(list.getRequestUrl().encodedPath());
            assertThat(w.getRequestUrl().queryParameter("labelSelector")).isEqualTo("moemesh.io/role=expert");
        });
        assertThat(api.watches()).extracting(w -> w.getRequestUrl().queryParameter("resourceVersion"))
                .startsWith("100", "101");
    }

    @Test
    void listsAgainWhenTheWatchExpiresAndDropsSlicesDeletedMeanwhile() {
        api.list("100", pod0("90", true), pod1("95"));
        start();
        awaitReports(1);
        api.list("200", pod0("90", true)); // expert-1's Service went away while the watch could not resume

        api.watch(expired("100"));
        awaitReports(2);

        assertThat(reports).containsExactly(List.of(POD_0, POD_1), List.of(POD_0));
        assertThat(api.lists()).hasSize(2);
    }

    @Test
    void aReportTheListenerFailedToTakeIsDeliveredAgainWithoutNewsFromTheApiServer() {
        api.list("100", pod0("100", true)); // and no watch event: nothing changes from here on
        AtomicInteger calls = new AtomicInteger();
        start(endpoints -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("the router could not take the endpoints");
            }
            reports.add(endpoints);
        });

        awaitReports(1);

        assertThat(reports).containsExactly(List.of(POD_0));
        assertThat(calls).hasValue(2);
    }

    @Test
    void startsReportingOnceTheApiServerLetsItList() {
        api.refuseList(403, "Forbidden", "endpointslices.discovery.k8s.io is forbidden: User"
                + " \\\"system:serviceaccount:moe:router\\\" cannot list resource \\\"endpointslices\\\"");
        start();
        await().atMost(WAIT).until(() -> api.lists().size() >= 2); // refused, and tried again
        assertThat(reports).as("nothing is known: nothing is reported").isEmpty();

        api.list("300", pod1("300"));

        awaitReports(1);
        assertThat(reports).containsExactly(List.of(POD_1));
    }
}
