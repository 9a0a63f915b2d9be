package io.moemesh.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import io.moemesh.service.GrpcServerLifecycle;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The controller's gRPC health, which the chart's probes read, follows its planning loop: a round
 * stuck in a call that does not return (here a router that never answers, under a one-hour call
 * timeout) turns it NOT_SERVING after the stall limit, and SERVING again once the round ends;
 * meanwhile the Prometheus gauge shows how long the loop has been quiet.
 */
class ControllerHealthTest {

    /** A router whose statistics call hangs until released, then fails. */
    private static final class HangingRouter extends RoutingStatsGrpc.RoutingStatsImplBase {

        final CountDownLatch called = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void getRoutingStats(GetRoutingStatsRequest request, StreamObserver<RoutingStatsSnapshot> response) {
            called.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            response.onError(Status.UNAVAILABLE.withDescription("released").asRuntimeException());
        }
    }

    @Test
    void aRoundStuckPastTheStallLimitTurnsHealthNotServingUntilItEnds() throws Exception {
        HangingRouter hanging = new HangingRouter();
        Server router = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(hanging)
                .build().start();
        // stall limit = max(initial-delay, interval) + rollout-timeout = 2 s
        try (ConfigurableApplicationContext context = SpringApplication.run(PlacementControllerApplication.class,
                "--moemesh.controller.routers=127.0.0.1:" + router.getPort(), "--moemesh.controller.initial-delay=0s",
                "--moemesh.controller.interval=1s", "--moemesh.controller.rollout-timeout=1s",
                "--moemesh.controller.call-timeout=1h", "--moemesh.controller.grpc-port=0", "--server.port=0",
                "--moemesh.transport.bind-address=127.0.0.1", "--moemesh.auth.allow-unauthenticated=true")) {
            ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1",
                    context.getBean(GrpcServerLifecycle.class).port(), InsecureChannelCredentials.create()).build();
            try {
                assertThat(hanging.called.await(30, TimeUnit.SECONDS)).isTrue();

                await().atMost(Duration.ofSeconds(30)).until(() -> health(channel) == ServingStatus.NOT_SERVING);
                assertThat(scrape(context)).as("the gauge an alert watches").containsPattern(
                        "(?m)^moemesh_placement_seconds_since_progress ([2-9]|\\d{2,})");
                hanging.release.countDown();
                await().atMost(Duration.ofSeconds(30)).until(() -> health(channel) == ServingStatus.SERVING);
            } finally {
                hanging.release.countDown();
                channel.shutdownNow();
            }
        } finally {
            router.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static String scrape(ConfigurableApplicationContext context) throws Exception {
        String port = context.getEnvironment().getProperty("local.server.port");
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    private static ServingStatus health(ManagedChannel channel) {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    }
}
