package io.moemesh.expert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.moemesh.expert.grpc.ComputeRequests;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.expert.grpc.ReferenceExperts;
import io.moemesh.expert.grpc.TestRoute;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.DescribeRequest;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import io.moemesh.proto.internal.v1.SetPartnerUnitsRequest;
import io.moemesh.proto.internal.v1.Unit;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The packaged application over real sockets: gRPC on a random port, actuator on another. */
class ExpertServiceApplicationTest {

    @Test
    void servesDescribeComputeHealthAndMetricsOverTcpThenStopsWhenClosed() throws Exception {
        ConfigurableApplicationContext context = SpringApplication.run(ExpertServiceApplication.class,
                "--moemesh.expert.model-dir=" + TinyModel.dir(), "--moemesh.expert.experts=3",
                "--moemesh.expert.extra-units=7:1", "--moemesh.expert.grpc-port=0", "--moemesh.expert.workers=1",
                "--moemesh.expert.loopback-warmup=0s", // its calls would show in the metrics checked below
                "--server.port=0", "--moemesh.transport.bind-address=127.0.0.1",
                "--moemesh.auth.allow-unauthenticated=true");
        int port = context.getBean(GrpcServerLifecycle.class).port();
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create())
                .build();
        try {
            ExpertGrpc.ExpertBlockingStub expert = ExpertGrpc.newBlockingStub(channel);
            DescribeResponse description = expert.withDeadlineAfter(Duration.ofSeconds(5))
                    .describe(DescribeRequest.getDefaultInstance());
            assertThat(description.getUnitsList()).containsExactly(unit(0, 3), unit(1, 3), unit(1, 7));
            assertThat(description.getEndpointId()).endsWith(":" + port);
            assertThat(description.getService()).isEqualTo(3);
            assertThat(description.getPartnerUnitsList()).containsExactly(unit(1, 7));

            DescribeResponse replaced = expert.withDeadlineAfter(Duration.ofSeconds(5)).setPartnerUnits(
                    SetPartnerUnitsRequest.newBuilder().addPartnerUnits(unit(1, 7)).addPartnerUnits(unit(0, 7)).build());
            assertThat(replaced.getPartnerUnitsList()).containsExactly(unit(0, 7), unit(1, 7));

            TestRoute[] routes = {TestRoute.of(3, 0.75f, 7, 0.25f), TestRoute.of(7, 0.5f)};
            float[] x = ComputeRequests.gaussianRows(routes.length, 31);
            ComputeResponse response = expert.withDeadlineAfter(Duration.ofSeconds(5))
                    .compute(ComputeRequests.request(1, x, DType.DTYPE_BF16, routes));
            assertThat(ComputeRequests.output(response, routes.length))
                    .containsExactly(ReferenceExperts.combine(1, ComputeRequests.roundedToBf16(x), routes));

            ServingStatus health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(Duration.ofSeconds(5))
                    .check(HealthCheckRequest.newBuilder().setService(ExpertGrpc.SERVICE_NAME).build()).getStatus();
            assertThat(health).isEqualTo(ServingStatus.SERVING);

            assertThat(scrape(context)).contains("moemesh_expert_tokens_total{")
                    .containsPattern("moemesh_expert_batch_tokens_count\\{[^}]*expert=\"7\",layer=\"1\"[^}]*} 1");
        } finally {
            context.close();
        }

        StatusRuntimeException gone = catchThrowableOfType(StatusRuntimeException.class,
                () -> ExpertGrpc.newBlockingStub(channel).withDeadlineAfter(Duration.ofSeconds(5))
                        .describe(DescribeRequest.getDefaultInstance()));
        channel.shutdownNow();
        assertThat(gone.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }

    private static String scrape(ConfigurableApplicationContext context) throws Exception {
        String httpPort = context.getEnvironment().getProperty("local.server.port");
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + httpPort + "/actuator/prometheus")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            return response.body();
        }
    }

    private static Unit unit(int layer, int expert) {
        return Unit.newBuilder().setLayer(layer).setExpert(expert).build();
    }
}
