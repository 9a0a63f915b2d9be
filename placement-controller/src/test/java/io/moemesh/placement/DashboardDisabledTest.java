package io.moemesh.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.placement.dashboard.DashboardFeed;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** With the dashboard off, nothing polls the routers for it and its endpoints do not exist. */
class DashboardDisabledTest {

    @Test
    void offMeansNoFeedAndNoPage() throws Exception {
        try (ConfigurableApplicationContext context = SpringApplication.run(PlacementControllerApplication.class,
                "--moemesh.controller.routers=127.0.0.1:1", "--moemesh.controller.initial-delay=1h",
                "--moemesh.controller.grpc-port=0", "--server.port=0", "--moemesh.transport.bind-address=127.0.0.1",
                "--moemesh.auth.allow-unauthenticated=true", "--moemesh.controller.dashboard.enabled=false");
                HttpClient http = HttpClient.newHttpClient()) {
            String base = "http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port");

            assertThat(context.getBeansOfType(DashboardFeed.class)).isEmpty();
            for (String path : new String[] {"/dashboard", "/dashboard/api/state"}) {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + path))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(path).isEqualTo(404);
            }
        }
    }
}
