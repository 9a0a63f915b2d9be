package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.ListModelsRequest;
import io.moemesh.proto.v1.SamplingParams;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the router receives and what the caller gets back, with one healthy router. */
class GatewayForwardingTest {

    private final FakeRouter router = new FakeRouter("r0");
    private final InProcessGateway gateway = InProcessGateway.withKeys(router);

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void routerReceivesTheDefaultsForZeroValues() {
        generate(GenerateRequest.newBuilder().setPrompt("hi").build());

        GenerateRequest received = router.requests.getFirst();
        assertThat(received.getSampling().getMaxTokens()).isEqualTo(256);
        assertThat(received.getSampling().getTopP()).isEqualTo(1.0f);
        assertThat(received.getRequestId()).hasSize(36);
    }

    @Test
    void routerReceivesTheCallersValuesUnchanged() {
        GenerateRequest request = GenerateRequest.newBuilder().setPrompt("hi").setModel("mini").setRequestId("req-7")
                .setSampling(SamplingParams.newBuilder().setTemperature(0.8f).setTopK(5).setTopP(0.9f).setSeed(3)
                        .setMaxTokens(10).addStop("\n").setIgnoreEos(true)).setRefusePrunedExperts(true).build();

        generate(request);

        assertThat(router.requests.getFirst()).isEqualTo(request);
    }

    @Test
    void eachRequestWithoutIdGetsItsOwn() {
        generate(GenerateRequest.newBuilder().setPrompt("a").build());
        generate(GenerateRequest.newBuilder().setPrompt("b").build());

        assertThat(router.requests.get(0).getRequestId()).isNotEqualTo(router.requests.get(1).getRequestId());
    }

    @Test
    void chunksAreRelayedInOrderThenTheCompletionWithTheRequestId() {
        router.script = FakeRouter.echo(20);

        List<GenerateResponse> responses = generate(GenerateRequest.newBuilder().setPrompt("hi").setRequestId("x1").build());

        assertThat(responses).hasSize(21);
        for (int i = 0; i < 20; i++) {
            assertThat(responses.get(i)).isEqualTo(FakeRouter.chunk(i));
        }
        assertThat(responses.get(20).getCompletion().getRequestId()).isEqualTo("x1");
    }

    @Test
    void routerSeesTheCallersDeadline() {
        generate(gateway.stub().withDeadlineAfter(5, TimeUnit.SECONDS), GenerateRequest.newBuilder().setPrompt("hi").build());

        assertThat(router.deadlines.getFirst().timeRemaining(TimeUnit.MILLISECONDS)).isCloseTo(5_000L, within(1_000L));
    }

    @Test
    void routerSeesTheDefaultDeadlineWhenTheCallerSetsNone() {
        generate(GenerateRequest.newBuilder().setPrompt("hi").build());

        assertThat(router.deadlines.getFirst().timeRemaining(TimeUnit.SECONDS)).isCloseTo(60L, within(2L));
    }

    @Test
    void routerDeadlineIsCappedAtTheDefaultDeadline() {
        generate(gateway.stub().withDeadlineAfter(2, TimeUnit.HOURS), GenerateRequest.newBuilder().setPrompt("hi").build());

        assertThat(router.deadlines.getFirst().timeRemaining(TimeUnit.SECONDS)).isCloseTo(60L, within(2L));
    }

    @Test
    void callerPastItsDeadlineGetsDeadlineExceeded() {
        router.script = FakeRouter.hanging();

        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, () -> generate(
                gateway.stub().withDeadlineAfter(100, TimeUnit.MILLISECONDS),
                GenerateRequest.newBuilder().setPrompt("hi").build()));

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    }

    @Test
    void cancellingTheCallCancelsTheRouterCall() throws Exception {
        router.script = (request, responses) -> responses.onNext(FakeRouter.chunk(0));
        Context.CancellableContext context = Context.current().withCancellation();

        Iterator<GenerateResponse> responses = context.call(
                () -> gateway.stub().generate(GenerateRequest.newBuilder().setPrompt("hi").build()));
        assertThat(responses.next()).isEqualTo(FakeRouter.chunk(0));
        context.cancel(null);

        assertThat(router.cancelled.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void routerErrorsAreRelayedWithTheirCodeAndDescription() {
        router.script = FakeRouter.failing(Status.RESOURCE_EXHAUSTED.withDescription("admission queue full (64)"));

        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class,
                () -> generate(GenerateRequest.newBuilder().setPrompt("hi").build()));

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(error.getStatus().getDescription()).isEqualTo("admission queue full (64)");
    }

    @Test
    void listModelsIsAnsweredByARouter() {
        assertThat(gateway.stub().listModels(ListModelsRequest.getDefaultInstance()).getModels(0).getName())
                .isEqualTo("model-of-r0");
    }

    private List<GenerateResponse> generate(GenerateRequest request) {
        return generate(gateway.stub(), request);
    }

    private static List<GenerateResponse> generate(io.moemesh.proto.v1.MoeMeshGrpc.MoeMeshBlockingStub stub,
            GenerateRequest request) {
        List<GenerateResponse> responses = new ArrayList<>();
        stub.generate(request).forEachRemaining(responses::add);
        return responses;
    }
}
