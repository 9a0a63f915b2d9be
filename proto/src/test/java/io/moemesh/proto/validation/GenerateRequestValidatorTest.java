package io.moemesh.proto.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.SamplingParams;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The penalty and log-probability fields of {@code SamplingParams}: OpenAI's ranges, named as the protocol names them. */
class GenerateRequestValidatorTest {

    private static final RequestLimits LIMITS = new RequestLimits(1024, 64, 256, 32, 4);

    private final GenerateRequestValidator validator = new GenerateRequestValidator(LIMITS, () -> "generated-id");

    private GenerateRequest validated(UnaryOperator<SamplingParams.Builder> sampling) {
        return validator.validated(GenerateRequest.newBuilder().setPrompt("Hello")
                .setSampling(sampling.apply(SamplingParams.newBuilder())).build());
    }

    @ParameterizedTest
    @ValueSource(floats = {-2f, -0.5f, 0f, 1.25f, 2f})
    void penaltiesInTheClosedRangePassUnchanged(float penalty) {
        SamplingParams sampling = validated(s -> s.setPresencePenalty(penalty).setFrequencyPenalty(-penalty))
                .getSampling();

        assertThat(sampling.getPresencePenalty()).isEqualTo(penalty);
        assertThat(sampling.getFrequencyPenalty()).isEqualTo(-penalty);
    }

    @ParameterizedTest
    @ValueSource(floats = {2.0001f, -2.5f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
    void presencePenaltyOutsideTheRangeIsRefusedByName(float penalty) {
        assertThatThrownBy(() -> validated(s -> s.setPresencePenalty(penalty)))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessage("sampling.presence_penalty must be in [-2, 2] (0 = off), got " + penalty);
    }

    @ParameterizedTest
    @ValueSource(floats = {3f, -2.01f, Float.NaN, Float.POSITIVE_INFINITY})
    void frequencyPenaltyOutsideTheRangeIsRefusedByName(float penalty) {
        assertThatThrownBy(() -> validated(s -> s.setFrequencyPenalty(penalty)))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessage("sampling.frequency_penalty must be in [-2, 2] (0 = off), got " + penalty);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 20})
    void topLogprobsUpToTwentyPassWithLogprobs(int top) {
        SamplingParams sampling = validated(s -> s.setLogprobs(true).setTopLogprobs(top)).getSampling();

        assertThat(sampling.getLogprobs()).isTrue();
        assertThat(sampling.getTopLogprobs()).isEqualTo(top);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 21, Integer.MAX_VALUE})
    void topLogprobsOutsideTheRangeIsRefusedByName(int top) {
        assertThatThrownBy(() -> validated(s -> s.setLogprobs(true).setTopLogprobs(top)))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessage("sampling.top_logprobs must be in [0, 20], got " + top);
    }

    @Test
    void topLogprobsWithoutLogprobsIsRefused() {
        assertThatThrownBy(() -> validated(s -> s.setTopLogprobs(3)))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageStartingWith("sampling.top_logprobs is 3 but sampling.logprobs is false");
    }

    @Test
    void logprobsAloneAsksForTheChosenTokenOnly() {
        SamplingParams sampling = validated(s -> s.setLogprobs(true)).getSampling();

        assertThat(sampling.getLogprobs()).isTrue();
        assertThat(sampling.getTopLogprobs()).isZero();
    }
}
