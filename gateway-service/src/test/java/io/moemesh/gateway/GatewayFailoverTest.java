package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.gateway.routing.RouterForwarder;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

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
    void aSingleRouterThatCannotBeReachedIsCountedNotNamedInTheStatus() {
        gateway = InProcessGateway.withKeys((FakeRouter) null);

        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, () -> generate("req-7"));

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(error.getStatus().getDescription())
                .isEqualTo("no router could take the request (1 tried); retry later; request id req-7");
    }

    /** Router addresses and their failures are the deployment's inside: the log has them, the caller a count. */
    @Test
    void unavailableFromBothRoutersIsUnavailableNamingBothInTheLogOnly() {
        Logger log = (Logger) LoggerFactory.getLogger(RouterForwarder.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        log.addAppender(logged);
        first.script = FakeRouter.failing(Status.UNAVAILABLE.withDescription("draining"));
        second.script = FakeRouter.failing(Status.UNAVAILABLE.withDescription("restarting"));
        gateway = InProcessGateway.withKeys(first, second);
        try {
            StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, () -> generate("req-8"));

            assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(error.getStatus().getDescription())
                    .isEqualTo("no router could take the request (2 tried); retry later; request id req-8");
            assertThat(logged.list).anySatisfy(event -> assertThat(event.getFormattedMessage()).contains("req-8")
                    .contains("draining").contains("restarting"));
        } finally {
            log.detachAppender(logged);
        }
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
        return generate("");
    }

    private List<GenerateResponse> generate(String requestId) {
        List<GenerateResponse> responses = new ArrayList<>();
        gateway.stub().generate(GenerateRequest.newBuilder().setPrompt("hi").setRequestId(requestId).build())
                .forEachRemaining(responses::add);
        return responses;
    }
}
