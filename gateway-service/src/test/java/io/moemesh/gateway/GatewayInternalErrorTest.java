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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/** Internal failure text stays in the gateway's log; the caller gets a generic text and the request id. */
class GatewayInternalErrorTest {

    private static final String DETAIL = "NullPointerException at io.moemesh.router.Scheduler.admit(Scheduler.java:212)";

    private final FakeRouter router = new FakeRouter("r0");
    private final InProcessGateway gateway = InProcessGateway.withKeys(router);
    private final Logger log = (Logger) LoggerFactory.getLogger(RouterForwarder.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    GatewayInternalErrorTest() {
        logged.start();
        log.addAppender(logged);
    }

    @AfterEach
    void stop() {
        log.detachAppender(logged);
        gateway.close();
    }

    @ParameterizedTest
    @EnumSource(value = Status.Code.class, names = {"INTERNAL", "UNKNOWN"})
    void routersInternalErrorTextIsLoggedNotRelayed(Status.Code code) {
        router.script = FakeRouter.failing(Status.fromCode(code).withDescription(DETAIL));

        StatusRuntimeException error = generateFails("req-42");

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(error.getStatus().getDescription()).isEqualTo("internal error; request id req-42");
        assertThat(logged.list).anySatisfy(event -> assertThat(event.getFormattedMessage()).contains("req-42")
                .contains(DETAIL));
    }

    @Test
    void refusalsTheRouterWroteForTheCallerAreRelayedAsTheyAre() {
        router.script = FakeRouter.failing(Status.RESOURCE_EXHAUSTED.withDescription("admission queue full (256)"));

        StatusRuntimeException error = generateFails("req-43");

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(error.getStatus().getDescription()).isEqualTo("admission queue full (256)");
    }

    private StatusRuntimeException generateFails(String requestId) {
        return catchThrowableOfType(StatusRuntimeException.class, () -> gateway.stub().generate(
                GenerateRequest.newBuilder().setPrompt("hi").setRequestId(requestId).build())
                .forEachRemaining(response -> { }));
    }
}
