package io.moemesh.router.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.proto.v1.FinishReason;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.v1.SamplingParams;
import io.moemesh.proto.v1.TokenIds;
import io.moemesh.proto.validation.RequestLimits;
import io.moemesh.router.AdmissionProperties;
import io.moemesh.router.batching.SchedulerProperties;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The router's public Generate, called directly (not through a gateway), refuses what the gateway
 * refuses, with the gateway's words, and what only it can judge: prompts too long in tokens.
 */
class RouterLimitsTest {

    private static final RequestLimits DEFAULTS = AdmissionProperties.defaults().requestLimits();

    private TinyRouter router;

    @AfterEach
    void stop() throws Exception {
        router.close();
    }

    private MoeMeshGrpc.MoeMeshBlockingStub start(RequestLimits limits) throws Exception {
        router = new TinyRouter(limits, SchedulerProperties.defaults()).start();
        return MoeMeshGrpc.newBlockingStub(router.channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private static GenerateRequest valid() {
        return GenerateRequest.newBuilder().setPrompt("Hello")
                .setSampling(SamplingParams.newBuilder().setMaxTokens(4).setIgnoreEos(true)).build();
    }

    private static Arguments invalid(String name, UnaryOperator<GenerateRequest.Builder> change, String description) {
        return Arguments.of(name, change.apply(valid().toBuilder()).build(), description);
    }

    private static UnaryOperator<GenerateRequest.Builder> sampling(UnaryOperator<SamplingParams.Builder> change) {
        return r -> r.setSampling(change.apply(r.getSampling().toBuilder()));
    }

    private static TokenIds ids(List<Integer> ids) {
        return TokenIds.newBuilder().addAllIds(ids).build();
    }

    static Stream<Arguments> overLimitRequests() {
        return Stream.of(
                invalid("no input", GenerateRequest.Builder::clearInput, "prompt is empty"),
                invalid("prompt over the byte limit", r -> r.setPrompt("a".repeat(32_769)), "prompt is 32769 bytes"),
                invalid("too many prompt_ids", r -> r.setPromptIds(ids(Collections.nCopies(8_193, 1))),
                        "prompt_ids has 8193 tokens; the limit is 8192"),
                invalid("negative token id", r -> r.setPromptIds(ids(List.of(5, -1))), "prompt_ids[1] is -1"),
                invalid("token id outside the vocabulary", r -> r.setPromptIds(ids(List.of(5, 9999))),
                        "prompt_ids[1] = 9999 is outside the vocabulary [0, 258)"),
                invalid("max_tokens over the limit", sampling(s -> s.setMaxTokens(2_049)),
                        "sampling.max_tokens is 2049; the limit is 2048"),
                invalid("max_tokens of Integer.MAX_VALUE", sampling(s -> s.setMaxTokens(Integer.MAX_VALUE)),
                        "sampling.max_tokens is 2147483647; the limit is 2048"),
                invalid("negative max_tokens", sampling(s -> s.setMaxTokens(-1)), "sampling.max_tokens must be >= 0"),
                invalid("too many stop strings", sampling(s -> s.addAllStop(Collections.nCopies(9, "x"))),
                        "sampling.stop has 9 strings; the limit is 8"),
                invalid("stop string too long", sampling(s -> s.addStop("s".repeat(257))), "sampling.stop[0] is 257"),
                invalid("empty stop string", sampling(s -> s.addStop("")), "sampling.stop[0] is empty"),
                invalid("NaN temperature", sampling(s -> s.setTemperature(Float.NaN)), "sampling.temperature"),
                invalid("negative top_k", sampling(s -> s.setTopK(-1)), "sampling.top_k"),
                invalid("top_p above 1", sampling(s -> s.setTopP(1.5f)), "sampling.top_p"),
                invalid("presence_penalty above 2", sampling(s -> s.setPresencePenalty(2.5f)),
                        "sampling.presence_penalty must be in [-2, 2]"),
                invalid("NaN frequency_penalty", sampling(s -> s.setFrequencyPenalty(Float.NaN)),
                        "sampling.frequency_penalty must be in [-2, 2]"),
                invalid("top_logprobs above 20", sampling(s -> s.setLogprobs(true).setTopLogprobs(21)),
                        "sampling.top_logprobs must be in [0, 20]"),
                invalid("top_logprobs without logprobs", sampling(s -> s.setTopLogprobs(2)),
                        "sampling.top_logprobs is 2 but sampling.logprobs is false"),
                invalid("request_id too long", r -> r.setRequestId("r".repeat(129)), "request_id is 129 characters"),
                invalid("request_id with a newline", r -> r.setRequestId("id\nFAKE LOG LINE"),
                        "request_id must be printable ASCII"),
                invalid("model too long", r -> r.setModel("m".repeat(129)), "model is 129 characters"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overLimitRequests")
    void refusesEveryOverLimitFieldWithInvalidArgumentNamingIt(String name, GenerateRequest request,
            String description) throws Exception {
        var stub = start(DEFAULTS);

        assertRefused(() -> drain(stub.generate(request)), Status.Code.INVALID_ARGUMENT, description);
        assertThat(router.scheduler.kvCache().reservedBytes()).isZero();
        assertThat(tokens(drain(stub.generate(valid())))).isEqualTo(4);
    }

    @Test
    void aHugePromptIdsListIsRefusedBeforeItReachesTheBatch() throws Exception {
        var stub = start(DEFAULTS);
        GenerateRequest huge = valid().toBuilder().setPromptIds(ids(Collections.nCopies(1_000_000, 1)))
                .setSampling(SamplingParams.newBuilder().setMaxTokens(Integer.MAX_VALUE)).build();

        assertRefused(() -> drain(stub.generate(huge)), Status.Code.INVALID_ARGUMENT,
                "prompt_ids has 1000000 tokens; the limit is 8192");
        assertThat(router.scheduler.load()).isZero();
    }

    @Test
    void maxTokensOfIntegerMaxValueWithTheLimitLiftedStopsAtTheContext() throws Exception {
        var stub = start(new RequestLimits(32_768, 8_192, Integer.MAX_VALUE, 256, 8));
        GenerateRequest request = valid().toBuilder().setPromptIds(ids(List.of(97, 98)))
                .setSampling(SamplingParams.newBuilder().setMaxTokens(Integer.MAX_VALUE).setIgnoreEos(true)).build();

        List<GenerateResponse> responses = drain(stub.generate(request));

        int context = router.config.maxPositionEmbeddings();
        assertThat(tokens(responses)).isEqualTo(context - 2);
        assertThat(responses.getLast().getCompletion().getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
        assertThat(router.scheduler.kvCache().reservedBytes()).isZero();
        assertThat(tokens(drain(stub.generate(valid())))).isEqualTo(4); // the scheduler thread lives on
    }

    @Test
    void aTextPromptThatTokenizesPastTheTokenLimitIsRefusedWithBothNumbers() throws Exception {
        var stub = start(new RequestLimits(32_768, 16, 2_048, 256, 8));
        String prompt = "The quick brown fox jumps over the lazy dog";
        int tokens = router.tokenizer.encode(prompt).length;
        assertThat(tokens).isGreaterThan(16);

        assertRefused(() -> drain(stub.generate(valid().toBuilder().setPrompt(prompt).build())),
                Status.Code.INVALID_ARGUMENT, "prompt is " + tokens + " tokens after tokenization; the limit is 16"
                        + " (moemesh.router.max-prompt-tokens)");
    }

    @Test
    void aTextPromptWithinTheBytesThatTokenizesPastTheContextIsRefusedWithBothNumbers() throws Exception {
        var stub = start(DEFAULTS);
        String prompt = "The quick brown fox. ".repeat(100); // 2,100 bytes, well within 32,768
        int tokens = router.tokenizer.encode(prompt).length;
        assertThat(tokens).isBetween(router.config.maxPositionEmbeddings(), DEFAULTS.maxPromptTokens());

        assertRefused(() -> drain(stub.generate(valid().toBuilder().setPrompt(prompt).build())),
                Status.Code.INVALID_ARGUMENT, "prompt is " + tokens + " tokens after tokenization, which leaves no"
                        + " room in the model's context of 512 tokens");
    }

    @Test
    void anEmptyRequestIdIsGeneratedAndZeroMaxTokensIsTheDefault() throws Exception {
        var stub = start(new RequestLimits(32_768, 8_192, 2_048, 3, 8));
        GenerateRequest request = valid().toBuilder().setRequestId("")
                .setSampling(SamplingParams.newBuilder().setIgnoreEos(true)).build();

        List<GenerateResponse> responses = drain(stub.generate(request));

        assertThat(tokens(responses)).isEqualTo(3);
        assertThat(responses.getLast().getCompletion().getRequestId()).isNotEmpty();
    }

    private static int tokens(List<GenerateResponse> responses) {
        return responses.stream().filter(GenerateResponse::hasChunk).mapToInt(r -> r.getChunk().getTokenIdsCount())
                .sum();
    }

    private static List<GenerateResponse> drain(Iterator<GenerateResponse> stream) {
        List<GenerateResponse> responses = new ArrayList<>();
        stream.forEachRemaining(responses::add);
        return responses;
    }

    static void assertRefused(Runnable call, Status.Code code, String description) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).contains(description);
        });
    }
}
