package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two routers; an idle pool sends the first request to the first router. */
class GatewayFailoverTest {

    private final FakeRouter first = new FakeRouter("r0");
    private final FakeRouter second = new FakeRouter("r1");
    private InProcessGateway gateway;

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void requestMovesToTheSecondRouterWhenTheFirstAnswersUnavailable() {
        first.script = FakeRouter.failing(Status.UNAVAILABLE.withDescription("draining"));
        gateway = InProcessGateway.withKeys(first, second);

        List<GenerateResponse> responses = generate();

        assertThat(responses).hasSize(4);
        assertThat(first.requests).hasSize(1);
        assertThat(second.requests).hasSize(1);
    }

    @Test
    void requestMovesToTheSecondRouterWhenTheFirstCannotBeReached() {
        gateway = InProcessGateway.withKeys(null, second);

        assertThat(generate()).hasSize(4);
        assertThat(second.requests).hasSize(1);
    }

    @Test
    void failoverIsCounted() {
        first.script = FakeRouter.failing(Status.UNAVAILABLE.withDescription("draining"));
        gateway = InProcessGateway.withKeys(first, second);

        generate();

        assertThat(gateway.meters.get("moemesh.gateway.router.failovers").counter().count()).isEqualTo(1.0);
    }

    @Test
    void aSingleRouterThatCannotBeReachedIsNamedInTheStatus() {
        gateway = InProcessGateway.withKeys((FakeRouter) null);

        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, this::generate);

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(error.getStatus().getDescription()).startsWith("no router could take the request; tried ");
    }

    @Test
    void unavailableFromBothRoutersIsUnavailableNamingBoth() {
        first.script = FakeRouter.failing(Status.UNAVAILABLE.withDescription("draining"));
        second.script = FakeRouter.failing(Status.UNAVAILABLE.withDescription("restarting"));
        gateway = InProcessGateway.withKeys(first, second);

        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, this::generate);

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(error.getStatus().getDescription()).contains("draining").contains("restarting");
    }

    @Test
    void unavailableAfterTheFirstChunkIsRelayedWithoutFailover() {
        first.script = (request, responses) -> {
            responses.onNext(FakeRouter.chunk(0));
            responses.onError(Status.UNAVAILABLE.withDescription("expert pool lost").asRuntimeException());
        };
        gateway = InProcessGateway.withKeys(first, second);
        List<GenerateResponse> received = new ArrayList<>();

        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, () -> gateway.stub()
                .generate(GenerateRequest.newBuilder().setPrompt("hi").build()).forEachRemaining(received::add));

        assertThat(received).containsExactly(FakeRouter.chunk(0));
        assertThat(error.getStatus().getDescription()).isEqualTo("expert pool lost");
        assertThat(second.requests).isEmpty();
    }

    @Test
    void otherRouterErrorsAreNotRetried() {
        first.script = FakeRouter.failing(Status.INTERNAL.withDescription("kv cache corrupted"));
        gateway = InProcessGateway.withKeys(first, second);

        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, this::generate);

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(second.requests).isEmpty();
    }

    private List<GenerateResponse> generate() {
        List<GenerateResponse> responses = new ArrayList<>();
        gateway.stub().generate(GenerateRequest.newBuilder().setPrompt("hi").build()).forEachRemaining(responses::add);
        return responses;
    }
}
