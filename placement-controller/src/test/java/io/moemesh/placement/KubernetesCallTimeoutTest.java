package io.moemesh.placement;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.ClientBuilder;
import io.moemesh.placement.kubernetes.KubernetesCluster;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The controller's Kubernetes API calls are bounded: the official client has no read timeout by
 * default, so an API server that takes a call and never answers would hang a planning round.
 */
class KubernetesCallTimeoutTest {

    /** Without the bound this call hangs; the JUnit timeout only turns a hang into a failure. */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aCallTheApiServerNeverAnswersFailsAfterTheCallTimeout() throws IOException {
        try (MockWebServer server = new MockWebServer()) {
            server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE));
            server.start();
            // as ClientBuilder.standard() makes it: no read timeout
            ApiClient client = ControllerConfiguration.bounded(new ClientBuilder()
                    .setBasePath(server.url("/").toString().replaceAll("/$", "")).build(), Duration.ofMillis(500));
            KubernetesCluster cluster = new KubernetesCluster(client, "moe", "moemesh.io/role=expert",
                    Clock.systemUTC());

            assertThatThrownBy(cluster::experts).hasMessageContaining("Kubernetes API: cannot list expert Deployments");
        }
    }
}
