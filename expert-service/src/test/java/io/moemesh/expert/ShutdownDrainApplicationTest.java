package io.moemesh.expert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.moemesh.expert.grpc.ComputeRequests;
import io.moemesh.expert.grpc.ReferenceExperts;
import io.moemesh.expert.grpc.TestRoute;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import io.moemesh.service.GrpcServerLifecycle;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The packaged application's shutdown with the drain on (as the chart runs it): closing the context
 * (what SIGTERM does) first turns health NOT_SERVING while Compute is still answered over TCP, and
 * the context finishes closing once no Compute call arrived for the quiet period.
 */
class ShutdownDrainApplicationTest {

    private static final Duration QUIET = Duration.ofSeconds(3);

    @Test
    void closingReportsNotServingKeepsAnsweringComputeThenStopsAfterTheQuietPeriod() throws Exception {
        ConfigurableApplicationContext context = SpringApplication.run(ExpertServiceApplication.class,
                "--moemesh.expert.model-dir=" + TinyModel.dir(), "--moemesh.expert.experts=3",
                "--moemesh.expert.grpc-port=0", "--moemesh.expert.workers=1", "--moemesh.expert.loopback-warmup=0s",
                "--moemesh.expert.shutdown-quiet-period=" + QUIET.toSeconds() + "s",
                "--moemesh.expert.shutdown-max-wait=30s", "--server.port=0",
                "--moemesh.transport.bind-address=127.0.0.1", "--moemesh.auth.allow-unauthenticated=true");
        int port = context.getBean(GrpcServerLifecycle.class).port();
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create())
                .build();
        try {
            CompletableFuture<Void> closing = CompletableFuture.runAsync(context::close);

            await().atMost(Duration.ofSeconds(10)).until(() -> health(channel) == ServingStatus.NOT_SERVING);
            long answeredAt = System.nanoTime();
            TestRoute[] routes = {TestRoute.of(3, 1f)};
            float[] x = ComputeRequests.gaussianRows(routes.length, 5);
            ComputeResponse response = ExpertGrpc.newBlockingStub(channel).withDeadlineAfter(Duration.ofSeconds(5))
                    .compute(ComputeRequests.request(1, x, DType.DTYPE_BF16, routes));

            assertThat(ComputeRequests.output(response, routes.length))
                    .containsExactly(ReferenceExperts.combine(1, ComputeRequests.roundedToBf16(x), routes));
            closing.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(Duration.ofNanos(System.nanoTime() - answeredAt)).as("the quiet period restarts at that call")
                    .isGreaterThanOrEqualTo(QUIET);
            assertThat(context.isActive()).isFalse();
        } finally {
            channel.shutdownNow();
            context.close();
        }
    }

    private static ServingStatus health(ManagedChannel channel) {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(Duration.ofSeconds(5))
                .check(HealthCheckRequest.newBuilder().setService(ExpertGrpc.SERVICE_NAME).build()).getStatus();
    }
}
