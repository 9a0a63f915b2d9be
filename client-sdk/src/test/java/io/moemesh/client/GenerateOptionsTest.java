package io.moemesh.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.SamplingParams;
import io.moemesh.proto.validation.GenerateRequestValidator;
import io.moemesh.proto.validation.RequestLimits;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What {@link GenerateOptions} refuses before anything is sent, and that the gateway refuses the same. */
class GenerateOptionsTest {

    @ParameterizedTest
    @ValueSource(floats = {-2.0001f, 2.0001f, -3f, Float.NaN, Float.POSITIVE_INFINITY})
    void aPresencePenaltyOutsideItsRangeIsRefusedNamingTheOptionAndTheRange(float penalty) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> GenerateOptions.builder().prompt("x").presencePenalty(penalty).build())
                .withMessage("presencePenalty (sampling.presence_penalty) must be in [-2, 2] (0 = off), got " + penalty);
    }

    @ParameterizedTest
    @ValueSource(floats = {-2.0001f, 2.0001f, Float.NaN, Float.NEGATIVE_INFINITY})
    void aFrequencyPenaltyOutsideItsRangeIsRefusedNamingTheOptionAndTheRange(float penalty) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> GenerateOptions.builder().prompt("x").frequencyPenalty(penalty).build())
                .withMessage("frequencyPenalty (sampling.frequency_penalty) must be in [-2, 2] (0 = off), got " + penalty);
    }

    @Test
    void penaltiesAtTheEdgesOfTheRangeAreKept() {
        GenerateOptions options = GenerateOptions.builder().prompt("x").presencePenalty(-2f).frequencyPenalty(2f).build();

        assertThat(options.presencePenalty()).isEqualTo(-2f);
        assertThat(options.frequencyPenalty()).isEqualTo(2f);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 21, Integer.MAX_VALUE})
    void topLogprobsOutsideZeroToTwentyIsRefusedNamingTheOptionAndTheRange(int top) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> GenerateOptions.builder().prompt("x").logprobs(true).topLogprobs(top).build())
                .withMessage("topLogprobs (sampling.top_logprobs) must be in [0, 20], got " + top);
    }

    @Test
    void topLogprobsWithoutLogprobsIsRefusedSayingWhatToSet() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> GenerateOptions.builder().prompt("x").topLogprobs(3).build())
                .withMessage("topLogprobs (sampling.top_logprobs) is 3 but logprobs (sampling.logprobs) is false: "
                        + "set logprobs to get alternatives");
    }

    @Test
    void toBuilderKeepsPenaltiesAndLogprobs() {
        GenerateOptions options = GenerateOptions.builder().prompt("x").presencePenalty(0.5f).frequencyPenalty(-1f)
                .logprobs(true).topLogprobs(20).build();

        assertThat(options.toBuilder().build()).isEqualTo(options);
    }

    @Test
    void theConstructorOfTheEarlierShapeLeavesPenaltiesAndLogprobsOff() {
        GenerateOptions options = new GenerateOptions("x", null, "m", 0.5f, 3, 0.9f, 7, 16, List.of(), false, "r", null,
                false);

        assertThat(options).isEqualTo(GenerateOptions.builder().prompt("x").model("m").temperature(0.5f).topK(3)
                .topP(0.9f).seed(7).maxTokens(16).requestId("r").build());
        assertThat(options.logprobs()).isFalse();
        assertThat(options.topLogprobs()).isZero();
    }

    static Stream<Arguments> samplingValues() {
        return Stream.of(
                Arguments.of(0f, 0f, false, 0), Arguments.of(2f, -2f, true, 20), Arguments.of(2.0001f, 0f, false, 0),
                Arguments.of(-2.5f, 0f, false, 0), Arguments.of(Float.NaN, 0f, false, 0),
                Arguments.of(0f, 2.0001f, false, 0), Arguments.of(0f, Float.POSITIVE_INFINITY, false, 0),
                Arguments.of(0f, 0f, true, 21), Arguments.of(0f, 0f, true, -1), Arguments.of(0f, 0f, false, 1),
                Arguments.of(0f, 0f, true, 0), Arguments.of(1f, 1f, false, 0));
    }

    /**
     * The client refuses exactly what the gateway's validator (shared by gateway and router) refuses, with the
     * same words once the option's SDK name is dropped: a failing build says what the server would have said.
     */
    @ParameterizedTest
    @MethodSource("samplingValues")
    void theClientRefusesWhatTheGatewayRefusesWithTheSameWords(float presence, float frequency, boolean logprobs,
            int top) {
        Throwable client = catchThrowable(() -> GenerateOptions.builder().prompt("x").presencePenalty(presence)
                .frequencyPenalty(frequency).logprobs(logprobs).topLogprobs(top).build());
        Throwable gateway = catchThrowable(() -> new GenerateRequestValidator(RequestLimits.DEFAULTS, () -> "id")
                .validated(GenerateRequest.newBuilder().setPrompt("x").setSampling(SamplingParams.newBuilder()
                        .setPresencePenalty(presence).setFrequencyPenalty(frequency).setLogprobs(logprobs)
                        .setTopLogprobs(top)).build()));

        if (gateway == null) {
            assertThat(client).isNull();
        } else {
            assertThat(client).isInstanceOf(IllegalArgumentException.class);
            assertThat(client.getMessage().replaceAll("\\w+ \\((sampling\\.\\w+)\\)", "$1"))
                    .isEqualTo(gateway.getMessage());
        }
    }
}
