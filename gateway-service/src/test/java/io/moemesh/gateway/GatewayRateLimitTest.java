package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.proto.status.RetryInfoDetail;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two requests per hour per key, on a clock that moves only when a test moves it. */
class GatewayRateLimitTest {

    private final FakeTicker ticker = new FakeTicker();
    private final FakeRouter router = new FakeRouter("r0");
    private final InProcessGateway gateway = new InProcessGateway(
            new TestProperties().rateLimit(2, Duration.ofHours(1)).build(), ticker, router);

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void callBeyondTheKeysLimitIsResourceExhaustedNamingTheLimit() {
        generate(gateway.stub());
        generate(gateway.stub());

        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, () -> generate(gateway.stub()));

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(error.getStatus().getDescription()).contains("rate limit exceeded").contains("2 requests per 1h");
        assertThat(router.requests).hasSize(2);
    }

    @Test
    void refusalCarriesRetryInfoWithTheWaitUntilTheNextPeriodAndKeepsItsMessage() {
        generate(gateway.stub());
        ticker.advance(Duration.ofMinutes(20));
        generate(gateway.stub());
        ticker.advance(Duration.ofSeconds(90));

        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, () -> generate(gateway.stub()));

        assertThat(RetryInfoDetail.retryDelay(error)).hasValue(Duration.ofMinutes(38).plusSeconds(30));
        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(error.getStatus().getDescription()).isEqualTo("rate limit exceeded for this API key: at most 2 "
                + "requests per 1h; retry after backing off");
    }

    @Test
    void aCallerWhoWaitsTheRetryDelayIsAdmitted() {
        generate(gateway.stub());
        generate(gateway.stub());
        ticker.advance(Duration.ofMinutes(59));
        Duration delay = RetryInfoDetail.retryDelay(catchThrowableOfType(StatusRuntimeException.class,
                () -> generate(gateway.stub()))).orElseThrow();

        ticker.advance(delay);
        generate(gateway.stub());

        assertThat(delay).isEqualTo(Duration.ofMinutes(1));
        assertThat(router.requests).hasSize(3);
    }

    @Test
    void eachKeyHasItsOwnLimit() {
        generate(gateway.stub(InProcessGateway.KEY));
        generate(gateway.stub(InProcessGateway.KEY));

        generate(gateway.stub(InProcessGateway.OTHER_KEY));

        assertThat(router.requests).hasSize(3);
    }

    @Test
    void limitShareDividesTheRateRoundingUp() {
        gateway.close();
        try (InProcessGateway shared = new InProcessGateway(
                new TestProperties().rateLimit(3, Duration.ofHours(1)).limitShare(2).build(), router)) {
            generate(shared.stub());
            generate(shared.stub());

            StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class,
                    () -> generate(shared.stub()));

            assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(error.getStatus().getDescription())
                    .contains("at most 2 on this gateway (3 shared by 2 gateways, moemesh.gateway.limit-share)");
        }
    }

    private static void generate(MoeMeshGrpc.MoeMeshBlockingStub stub) {
        stub.generate(GenerateRequest.newBuilder().setPrompt("hi").build()).forEachRemaining(response -> { });
    }
}
