package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GatewayMetricsTest {

    private final FakeRouter router = new FakeRouter("r0");
    private final InProcessGateway gateway = InProcessGateway.withKeys(router);

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void countsEveryCallByMethod() {
        generate(gateway.stub(), "hi");
        catchThrowableOfType(StatusRuntimeException.class, () -> generate(gateway.stub(null), "hi"));

        assertThat(meter("moemesh.gateway.requests").tag("method", "Generate").counter().count()).isEqualTo(2.0);
    }

    @Test
    void countsErrorsByCode() {
        catchThrowableOfType(StatusRuntimeException.class, () -> generate(gateway.stub(), ""));
        catchThrowableOfType(StatusRuntimeException.class, () -> generate(gateway.stub("wrong"), "hi"));

        assertThat(meter("moemesh.gateway.errors").tag("code", "INVALID_ARGUMENT").counter().count()).isEqualTo(1.0);
        assertThat(meter("moemesh.gateway.errors").tag("code", "UNAUTHENTICATED").counter().count()).isEqualTo(1.0);
    }

    @Test
    void timesCallsByMethodAndCode() {
        generate(gateway.stub(), "hi");

        assertThat(meter("moemesh.gateway.latency").tag("method", "Generate").tag("code", "OK").timer().count())
                .isEqualTo(1);
    }

    @Test
    void inFlightCountsACallUntilItEnds() {
        router.script = FakeRouter.hanging();
        Context.CancellableContext context = Context.current().withCancellation();
        context.run(() -> gateway.stub().generate(GenerateRequest.newBuilder().setPrompt("hi").build()));

        await().atMost(Duration.ofSeconds(5)).until(() -> router.requests.size() == 1);
        assertThat(meter("moemesh.gateway.in.flight").gauge().value()).isEqualTo(1.0);

        context.cancel(null);
        await().atMost(Duration.ofSeconds(5)).until(() -> meter("moemesh.gateway.in.flight").gauge().value() == 0.0);
    }

    private RequiredSearch meter(String name) {
        return gateway.meters.get(name);
    }

    private static void generate(MoeMeshGrpc.MoeMeshBlockingStub stub, String prompt) {
        stub.generate(GenerateRequest.newBuilder().setPrompt(prompt).build()).forEachRemaining(response -> { });
    }
}
