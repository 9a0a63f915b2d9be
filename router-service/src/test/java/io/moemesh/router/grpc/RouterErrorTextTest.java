package io.moemesh.router.grpc;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.v1.SamplingParams;
import io.moemesh.router.AdmissionProperties;
import io.moemesh.router.batching.SchedulerProperties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Exceptions the router did not write for clients never reach them with their text: the gateway
 * relays INVALID_ARGUMENT, so only the validator's and admission's own refusals may use it.
 */
class RouterErrorTextTest {

    private static final String INTERNAL_DETAIL = "index 7 out of bounds in /opt/moemesh/secret-layout";

    private TinyRouter router;

    @AfterEach
    void stop() throws Exception {
        router.close();
    }

    @Test
    void anUnexpectedIllegalArgumentExceptionIsInternalWithoutItsText() throws Exception {
        router = new TinyRouter(AdmissionProperties.defaults().requestLimits(), SchedulerProperties.defaults(),
                FailingTokenizer::new).start();
        var stub = MoeMeshGrpc.newBlockingStub(router.channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        GenerateRequest request = GenerateRequest.newBuilder().setPrompt("Hello").setRequestId("req-42")
                .setSampling(SamplingParams.newBuilder().setMaxTokens(4)).build();

        assertThatThrownBy(() -> stub.generate(request).forEachRemaining(r -> { }))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    Status status = e.getStatus();
                    org.assertj.core.api.Assertions.assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
                    org.assertj.core.api.Assertions.assertThat(status.getDescription()).contains("req-42")
                            .doesNotContain(INTERNAL_DETAIL).doesNotContain("IllegalArgumentException");
                });
    }

    @Test
    void aRefusalWrittenForTheClientIsStillInvalidArgument() throws Exception {
        router = new TinyRouter(AdmissionProperties.defaults().requestLimits(), SchedulerProperties.defaults()).start();
        var stub = MoeMeshGrpc.newBlockingStub(router.channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        GenerateRequest request = GenerateRequest.newBuilder().setPrompt("Hello")
                .setSampling(SamplingParams.newBuilder().setMaxTokens(Integer.MAX_VALUE)).build();

        assertThatThrownBy(() -> stub.generate(request).forEachRemaining(r -> { }))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> org.assertj.core.api.Assertions
                        .assertThat(e.getStatus().getCode()).isIn(Status.Code.INVALID_ARGUMENT));
    }

    /** The model's tokenizer, failing the way a bug would: an IllegalArgumentException with internal detail. */
    private record FailingTokenizer(TextTokenizer delegate) implements TextTokenizer {

        @Override
        public int[] encode(String text) {
            throw new IllegalArgumentException(INTERNAL_DETAIL);
        }

        @Override
        public String decode(int[] ids) {
            return delegate.decode(ids);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
