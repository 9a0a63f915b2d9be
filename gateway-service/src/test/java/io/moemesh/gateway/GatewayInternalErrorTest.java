package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.moemesh.gateway.access.CallerLimiters;
import io.moemesh.gateway.generate.CallDeadlines;
import io.moemesh.gateway.generate.GenerateUseCase;
import io.moemesh.gateway.generate.ListModelsUseCase;
import io.moemesh.gateway.grpc.GatewayGrpcService;
import io.moemesh.gateway.routing.RouterClient;
import io.moemesh.gateway.routing.RouterForwarder;
import io.moemesh.gateway.routing.RouterPool;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.validation.GenerateRequestValidator;
import java.time.Duration;
import java.util.List;
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

    /** A failure inside the gateway itself, before forwarding: here the request-id generator throws. */
    @Test
    void gatewaysOwnExceptionTextIsLoggedNotRelayed() throws Exception {
        Logger serviceLog = (Logger) LoggerFactory.getLogger(GatewayGrpcService.class);
        serviceLog.addAppender(logged);
        String name = InProcessServerBuilder.generateName();
        RouterPool pool = new RouterPool(List.of(new RouterClient("unused", InProcessChannelBuilder.forName(name
                + "-router").build())));
        GatewayProperties properties = new TestProperties().build();
        GenerateRequestValidator failing = new GenerateRequestValidator(properties.requestLimits(), () -> {
            throw new IllegalStateException(DETAIL);
        });
        CallDeadlines deadlines = new CallDeadlines(Duration.ofSeconds(5));
        RouterForwarder forwarder = new RouterForwarder(pool, (from, to, reason) -> { });
        GatewayGrpcService service = new GatewayGrpcService(new GenerateUseCase(failing, deadlines,
                new CallerLimiters(properties.callerQuotas(), System::nanoTime), forwarder),
                new ListModelsUseCase(deadlines, forwarder));
        Server server = InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start();
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        try {
            StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, () -> MoeMeshGrpc
                    .newBlockingStub(channel).generate(GenerateRequest.newBuilder().setPrompt("hi").build())
                    .forEachRemaining(response -> { }));

            assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
            assertThat(error.getStatus().getDescription()).matches("internal error; request id [0-9a-f-]{36}");
            String requestId = error.getStatus().getDescription().substring("internal error; request id ".length());
            assertThat(logged.list).anySatisfy(event -> {
                assertThat(event.getFormattedMessage()).contains(requestId);
                assertThat(event.getThrowableProxy().getMessage()).isEqualTo(DETAIL);
            });
        } finally {
            serviceLog.detachAppender(logged);
            channel.shutdownNow();
            server.shutdownNow();
            pool.close();
        }
    }

    private StatusRuntimeException generateFails(String requestId) {
        return catchThrowableOfType(StatusRuntimeException.class, () -> gateway.stub().generate(
                GenerateRequest.newBuilder().setPrompt("hi").setRequestId(requestId).build())
                .forEachRemaining(response -> { }));
    }
}
