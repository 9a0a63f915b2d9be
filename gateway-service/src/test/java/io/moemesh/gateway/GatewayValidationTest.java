package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.SamplingParams;
import io.moemesh.proto.v1.TokenIds;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every field is checked with the default limits; a refusal names the field and never reaches a router. */
class GatewayValidationTest {

    private final FakeRouter router = new FakeRouter("r0");
    private final InProcessGateway gateway = InProcessGateway.withKeys(router);

    @AfterEach
    void stop() {
        gateway.close();
    }

    static Stream<Arguments> invalidRequests() {
        return Stream.of(
                invalid("no input", r -> r.clearInput(), "prompt is empty"),
                invalid("empty prompt", r -> r.setPrompt(""), "prompt is empty"),
                invalid("empty prompt_ids", r -> r.setPromptIds(TokenIds.getDefaultInstance()), "prompt_ids is empty"),
                invalid("prompt over the byte limit", r -> r.setPrompt("a".repeat(32_769)), "prompt is 32769 bytes"),
                invalid("prompt over the limit in UTF-8 bytes, not characters", r -> r.setPrompt("é".repeat(16_385)),
                        "prompt is 32770 bytes"),
                invalid("too many prompt_ids", r -> r.setPromptIds(ids(Collections.nCopies(8_193, 1))),
                        "prompt_ids has 8193 tokens"),
                invalid("negative token id", r -> r.setPromptIds(ids(List.of(5, -1, 7))), "prompt_ids[1] is -1"),
                invalid("model too long", r -> r.setModel("m".repeat(129)), "model is 129 characters"),
                invalid("model with a newline", r -> r.setModel("mini\nFAKE LOG LINE"), "model must be printable"),
                invalid("negative temperature", sampling(s -> s.setTemperature(-0.5f)), "sampling.temperature"),
                invalid("NaN temperature", sampling(s -> s.setTemperature(Float.NaN)), "sampling.temperature"),
                invalid("infinite temperature", sampling(s -> s.setTemperature(Float.POSITIVE_INFINITY)),
                        "sampling.temperature"),
                invalid("negative top_k", sampling(s -> s.setTopK(-1)), "sampling.top_k"),
                invalid("top_p above 1", sampling(s -> s.setTopP(1.5f)), "sampling.top_p"),
                invalid("negative top_p", sampling(s -> s.setTopP(-0.1f)), "sampling.top_p"),
                invalid("NaN top_p", sampling(s -> s.setTopP(Float.NaN)), "sampling.top_p"),
                invalid("negative max_tokens", sampling(s -> s.setMaxTokens(-1)), "sampling.max_tokens"),
                invalid("max_tokens over the limit", sampling(s -> s.setMaxTokens(2_049)), "sampling.max_tokens is 2049"),
                invalid("too many stop strings", sampling(s -> s.addAllStop(Collections.nCopies(9, "x"))),
                        "sampling.stop has 9 strings"),
                invalid("empty stop string", sampling(s -> s.addStop("end").addStop("")), "sampling.stop[1] is empty"),
                invalid("stop string too long", sampling(s -> s.addStop("s".repeat(257))), "sampling.stop[0] is 257"),
                invalid("request_id too long", r -> r.setRequestId("r".repeat(129)), "request_id is 129 characters"),
                invalid("request_id with a space", r -> r.setRequestId("my request"), "request_id must be printable"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidRequests")
    void invalidFieldIsRefusedWithInvalidArgumentNamingIt(String what, UnaryOperator<GenerateRequest.Builder> edit,
            String expected) {
        StatusRuntimeException error = generateFails(edit.apply(valid()).build());

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(error.getStatus().getDescription()).contains(expected);
    }

    @Test
    void invalidRequestNeverReachesARouter() {
        generateFails(valid().setSampling(SamplingParams.newBuilder().setTopK(-1)).build());

        assertThat(router.requests).isEmpty();
    }

    @Test
    void valuesAtTheLimitsAreForwarded() {
        gateway.stub().generate(valid().setPrompt("a".repeat(32_768)).setModel("m".repeat(128))
                .setRequestId("r".repeat(128)).setSampling(SamplingParams.newBuilder().setTopP(1).setMaxTokens(2_048)
                        .addAllStop(Collections.nCopies(8, "s".repeat(256)))).build())
                .forEachRemaining(response -> { });

        assertThat(router.requests).hasSize(1);
    }

    @Test
    void gatewayKeepsServingAfterInvalidRequests() {
        generateFails(GenerateRequest.getDefaultInstance());
        generateFails(valid().setSampling(SamplingParams.newBuilder().setTemperature(Float.NaN)).build());

        gateway.stub().generate(valid().build()).forEachRemaining(response -> { });

        assertThat(router.requests).hasSize(1);
    }

    private StatusRuntimeException generateFails(GenerateRequest request) {
        return catchThrowableOfType(StatusRuntimeException.class,
                () -> gateway.stub().generate(request).forEachRemaining(response -> { }));
    }

    private static GenerateRequest.Builder valid() {
        return GenerateRequest.newBuilder().setPrompt("Once upon a time");
    }

    private static TokenIds ids(List<Integer> ids) {
        return TokenIds.newBuilder().addAllIds(ids).build();
    }

    private static UnaryOperator<GenerateRequest.Builder> sampling(UnaryOperator<SamplingParams.Builder> edit) {
        return r -> r.setSampling(edit.apply(SamplingParams.newBuilder()));
    }

    private static Arguments invalid(String what, UnaryOperator<GenerateRequest.Builder> edit, String expected) {
        return Arguments.of(what, edit, expected);
    }
}
