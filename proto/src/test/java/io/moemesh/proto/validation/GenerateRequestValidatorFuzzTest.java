package io.moemesh.proto.validation;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.SamplingParams;
import java.nio.charset.StandardCharsets;

/**
 * Contract of {@link GenerateRequestValidator#validated}: for any request that parses, it either
 * throws an {@link InvalidRequestException} naming a field, or returns a request the router can use
 * as is, every limit met and every default filled in.
 */
class GenerateRequestValidatorFuzzTest {

    private static final RequestLimits LIMITS = new RequestLimits(1024, 64, 256, 32, 4);

    private final GenerateRequestValidator validator = new GenerateRequestValidator(LIMITS, () -> "generated-id");

    /** A serialized {@code moemesh.v1.GenerateRequest}; bytes that do not parse are the marshaller's business. */
    @FuzzTest
    void acceptsOnlyRequestsWithinTheLimits(byte[] bytes) {
        GenerateRequest request;
        try {
            request = GenerateRequest.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            return;
        }
        GenerateRequest validated;
        try {
            validated = validator.validated(request);
        } catch (InvalidRequestException e) {
            assertThat(e).hasMessageMatching("(?s)(prompt|prompt_ids|model|request_id|sampling\\.\\w+)\\b.*");
            return;
        }
        assertThat(validated.getInputCase()).isEqualTo(request.getInputCase()).isNotEqualTo(
                GenerateRequest.InputCase.INPUT_NOT_SET);
        assertThat(validated.getPrompt()).isEqualTo(request.getPrompt());
        assertThat(validated.getPromptIds()).isEqualTo(request.getPromptIds());
        assertThat(validated.getPrompt().getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(
                LIMITS.maxPromptBytes());
        assertThat(validated.getPromptIds().getIdsList()).hasSizeLessThanOrEqualTo(LIMITS.maxPromptTokens())
                .allMatch(id -> id >= 0);
        assertThat(validated.getModel()).isEqualTo(request.getModel()).hasSizeLessThanOrEqualTo(
                RequestLimits.MAX_ID_LENGTH);
        assertThat(validated.getRequestId()).isNotEmpty().hasSizeLessThanOrEqualTo(RequestLimits.MAX_ID_LENGTH)
                .matches("[\\x21-\\x7e]+");
        SamplingParams sampling = validated.getSampling();
        // Primitive comparisons, as the router's SamplingParams makes them (-0.0 >= 0 holds there).
        assertThat(Float.isFinite(sampling.getTemperature()) && sampling.getTemperature() >= 0f)
                .as("temperature %s", sampling.getTemperature()).isTrue();
        assertThat(sampling.getTopK()).isNotNegative();
        assertThat(sampling.getTopP() > 0f && sampling.getTopP() <= 1f).as("top_p %s", sampling.getTopP()).isTrue();
        assertThat(sampling.getMaxTokens()).isBetween(1, LIMITS.maxTokensLimit());
        assertThat(sampling.getStopList()).hasSizeLessThanOrEqualTo(LIMITS.maxStopStrings())
                .allMatch(stop -> !stop.isEmpty() && stop.length() <= RequestLimits.MAX_STOP_LENGTH);
        assertThat(sampling.getSeed()).isEqualTo(request.getSampling().getSeed());
        assertThat(sampling.getIgnoreEos()).isEqualTo(request.getSampling().getIgnoreEos());
        assertThat(sampling.getPresencePenalty() >= -2f && sampling.getPresencePenalty() <= 2f)
                .as("presence_penalty %s", sampling.getPresencePenalty()).isTrue();
        assertThat(sampling.getFrequencyPenalty() >= -2f && sampling.getFrequencyPenalty() <= 2f)
                .as("frequency_penalty %s", sampling.getFrequencyPenalty()).isTrue();
        assertThat(sampling.getTopLogprobs()).isBetween(0, 20);
        assertThat(sampling.getLogprobs() || sampling.getTopLogprobs() == 0).as("top_logprobs needs logprobs").isTrue();
    }
}
