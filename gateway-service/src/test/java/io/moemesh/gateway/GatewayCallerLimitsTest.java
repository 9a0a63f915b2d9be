package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.moemesh.proto.status.RetryInfoDetail;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Concurrent calls per key: a Bulkhead of 16 (the default), the permit held until the stream ends. */
class GatewayCallerLimitsTest {

    private static final String KEY = InProcessGateway.KEY;

    private final FakeRouter router = new FakeRouter("r0");
    private InProcessGateway gateway = gateway(new TestProperties());
    private final List<Context.CancellableContext> open = new ArrayList<>();

    @AfterEach
    void stop() {
        open.forEach(context -> context.cancel(null));
        gateway.close();
    }

    @Test
    void seventeenthConcurrentStreamOfAKeyIsRefusedNamingTheCap() {
        startHanging(16, KEY, null);

        StatusRuntimeException error = generateFails(gateway.stub(KEY));

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(error.getStatus().getDescription()).isEqualTo(
                "too many concurrent requests for this API key: at most 16 at once; wait for one to finish");
        assertThat(router.requests).hasSize(16);
    }

    @Test
    void refusalByTheConcurrencyCapCarriesNoRetryInfoSinceNoWaitIsKnown() {
        startHanging(16, KEY, null);

        StatusRuntimeException error = generateFails(gateway.stub(KEY));

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(RetryInfoDetail.retryDelay(error)).isEmpty();
    }

    @Test
    void anotherKeyIsNotAffected() {
        startHanging(16, KEY, null);
        router.script = FakeRouter.echo(1);

        generate(gateway.stub(InProcessGateway.OTHER_KEY));

        assertThat(router.requests).hasSize(17);
    }

    @Test
    void cancelledStreamReleasesItsPermit() {
        startHanging(16, KEY, null);
        router.script = FakeRouter.echo(1);

        open.getFirst().cancel(null);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> generate(gateway.stub(KEY)));
        startHanging(1, KEY, null);
        assertThat(generateFails(gateway.stub(KEY)).getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    }

    @Test
    void streamPastItsDeadlineReleasesItsPermit() {
        router.script = FakeRouter.hanging();
        for (int i = 0; i < 16; i++) {
            gateway.asyncStub(KEY, null).withDeadlineAfter(200, TimeUnit.MILLISECONDS)
                    .generate(GenerateRequest.newBuilder().setPrompt("hi").build(), ignoring());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> router.requests.size() == 16);
        router.script = FakeRouter.echo(1);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> generate(gateway.stub(KEY)));
    }

    @Test
    void completedAndFailedStreamsReleaseTheirPermits() {
        for (int i = 0; i < 20; i++) {
            generate(gateway.stub(KEY));
        }
        router.script = FakeRouter.failing(Status.INTERNAL.withDescription("boom"));
        for (int i = 0; i < 20; i++) {
            assertThat(generateFails(gateway.stub(KEY)).getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        }
        router.script = FakeRouter.echo(1);

        generate(gateway.stub(KEY));

        assertThat(router.requests).hasSize(41);
    }

    @Test
    void limitShareDividesTheCap() {
        gateway.close();
        gateway = gateway(new TestProperties().callerLimits(4, null).limitShare(2));
        startHanging(2, KEY, null);

        StatusRuntimeException error = generateFails(gateway.stub(KEY));

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(error.getStatus().getDescription())
                .contains("at most 2 on this gateway (4 shared by 2 gateways, moemesh.gateway.limit-share) at once");
    }

    @Test
    void anonymousCallersAreLimitedPerPeerAddress() {
        gateway.close();
        gateway = gateway(new TestProperties().apiKeys().allowUnauthenticated().callerLimits(1, null));
        startHanging(1, null, "192.0.2.1");

        StatusRuntimeException error = generateFails(gateway.stub(null, "192.0.2.1"));
        router.script = FakeRouter.echo(1);
        generate(gateway.stub(null, "192.0.2.2"));

        assertThat(error.getStatus().getDescription()).startsWith(
                "too many concurrent requests for anonymous callers from 192.0.2.1: at most 1 at once");
        assertThat(router.requests).hasSize(2);
    }

    private InProcessGateway gateway(TestProperties properties) {
        return new InProcessGateway(properties.rateLimit(1_000, Duration.ofSeconds(1)).build(), router);
    }

    private void startHanging(int streams, String key, String peer) {
        router.script = FakeRouter.hanging();
        int before = router.requests.size();
        for (int i = 0; i < streams; i++) {
            Context.CancellableContext context = Context.current().withCancellation();
            open.add(context);
            context.run(() -> gateway.asyncStub(key, peer).generate(GenerateRequest.newBuilder().setPrompt("hi").build(),
                    ignoring()));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> router.requests.size() == before + streams);
    }

    private static StreamObserver<GenerateResponse> ignoring() {
        return new StreamObserver<>() {
            @Override
            public void onNext(GenerateResponse value) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        };
    }

    private static void generate(MoeMeshGrpc.MoeMeshBlockingStub stub) {
        stub.generate(GenerateRequest.newBuilder().setPrompt("hi").build()).forEachRemaining(response -> { });
    }

    private static StatusRuntimeException generateFails(MoeMeshGrpc.MoeMeshBlockingStub stub) {
        return catchThrowableOfType(StatusRuntimeException.class, () -> generate(stub));
    }
}
