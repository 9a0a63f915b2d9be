package io.moemesh.router.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.engine.FinishReason;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.proto.v1.Chunk;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.v1.SamplingParams;
import io.moemesh.proto.v1.TokenLogprob;
import io.moemesh.proto.v1.TopLogprob;
import io.moemesh.router.AdmissionProperties;
import io.moemesh.router.batching.SchedulerProperties;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Generate with log probabilities and penalties, through the router's public service. */
class RouterLogprobsTest {

    private static final int MAX_TOKENS = 16;

    private static TinyRouter router;
    private static MoeMeshGrpc.MoeMeshBlockingStub stub;

    @BeforeAll
    static void start() throws Exception {
        router = new TinyRouter(AdmissionProperties.defaults().requestLimits(), SchedulerProperties.defaults()).start();
        stub = MoeMeshGrpc.newBlockingStub(router.channel);
    }

    @AfterAll
    static void stop() throws Exception {
        router.close();
    }

    private static List<Chunk> generate(String prompt, UnaryOperator<SamplingParams.Builder> sampling) {
        GenerateRequest request = GenerateRequest.newBuilder().setPrompt(prompt).setSampling(sampling.apply(
                SamplingParams.newBuilder().setMaxTokens(MAX_TOKENS).setIgnoreEos(true))).build();
        List<Chunk> chunks = new ArrayList<>();
        stub.withDeadlineAfter(60, TimeUnit.SECONDS).generate(request).forEachRemaining(r -> {
            if (r.hasChunk()) {
                chunks.add(r.getChunk());
            }
        });
        return chunks;
    }

    private static List<Integer> tokenIds(List<Chunk> chunks) {
        return chunks.stream().flatMap(c -> c.getTokenIdsList().stream()).toList();
    }

    @Test
    void everyTokenIdHasItsLogprobAndTheAskedAlternatives() {
        List<Chunk> chunks = generate("Hello", s -> s.setLogprobs(true).setTopLogprobs(2));

        assertThat(tokenIds(chunks)).hasSize(MAX_TOKENS);
        for (Chunk chunk : chunks) {
            assertThat(chunk.getLogprobsList()).extracting(TokenLogprob::getTokenId)
                    .containsExactlyElementsOf(chunk.getTokenIdsList());
            for (TokenLogprob lp : chunk.getLogprobsList()) {
                assertThat(lp.getLogprob()).isNotNaN().isLessThanOrEqualTo(0f);
                assertThat(lp.getToken().toByteArray()).isEqualTo(router.tokenizer.tokenBytes(lp.getTokenId()));
                assertThat(lp.getTopList()).hasSize(2);
                TopLogprob first = lp.getTop(0);
                TopLogprob second = lp.getTop(1);
                assertThat(first.getLogprob()).isGreaterThanOrEqualTo(second.getLogprob()).isLessThanOrEqualTo(0f);
                assertThat(second.getToken().toByteArray()).isEqualTo(router.tokenizer.tokenBytes(second.getTokenId()));
                // greedy on raw logprobs: the generated token is the argmax, so it is the first alternative
                assertThat(first.getTokenId()).isEqualTo(lp.getTokenId());
                assertThat(first.getLogprob()).isEqualTo(lp.getLogprob());
                assertThat(lp.getLogprob()).isGreaterThanOrEqualTo(second.getLogprob());
            }
        }
    }

    @Test
    void logprobsWithoutAlternativesGiveOnlyTheGeneratedToken() {
        List<Chunk> chunks = generate("Hello", s -> s.setLogprobs(true));

        assertThat(chunks).allSatisfy(c -> {
            assertThat(c.getLogprobsCount()).isEqualTo(c.getTokenIdsCount());
            assertThat(c.getLogprobsList()).allSatisfy(lp -> assertThat(lp.getTopList()).isEmpty());
        });
    }

    @Test
    void withoutLogprobsChunksCarryNone() {
        assertThat(generate("Hello", UnaryOperator.identity())).allSatisfy(c -> assertThat(c.getLogprobsList()).isEmpty());
    }

    /** ADR 0001: asking for log probabilities reads the logits and changes no token, greedy or sampled. */
    @Test
    void askingForLogprobsChangesNoToken() {
        UnaryOperator<SamplingParams.Builder> sampled = s -> s.setTemperature(0.9f).setTopK(40).setSeed(7);

        assertThat(tokenIds(generate("Zürich", s -> s.setLogprobs(true).setTopLogprobs(5))))
                .isEqualTo(tokenIds(generate("Zürich", UnaryOperator.identity())));
        assertThat(tokenIds(generate("Zürich", s -> sampled.apply(s).setLogprobs(true).setTopLogprobs(20))))
                .isEqualTo(tokenIds(generate("Zürich", sampled)));
    }

    /** The penalties reach the router's sampler: the tokens are the in-process engine's with the same penalties. */
    @Test
    void penaltiesGiveTheInProcessEnginesPenalisedTokens() {
        List<Integer> plain = tokenIds(generate("Hello", UnaryOperator.identity()));
        List<Integer> penalised = tokenIds(generate("Hello", s -> s.setFrequencyPenalty(2f).setPresencePenalty(0.5f)));

        io.moemesh.core.engine.SamplingParams params = new io.moemesh.core.engine.SamplingParams(0f, 0, 1f, 0,
                MAX_TOKENS, List.of(), true).withPenalties(0.5f, 2f);
        try (InProcessEngine engine = InProcessEngine.open(TinyRouter.MODEL, Kernels.best(), 0)) {
            int[] expected = engine.generate("Hello", params, TokenListener.NONE).tokenIds();
            assertThat(penalised).isEqualTo(Arrays.stream(expected).boxed().toList());
        }
        assertThat(penalised).isNotEqualTo(plain);
        assertThat(distinct(penalised)).isGreaterThan(distinct(plain));
    }

    /**
     * The EOS that ends a sequence is streamed as the last token id (as before) but has no logprob: OpenAI
     * reports only the tokens of the text. At temperature 50 the tiny random model's distribution is nearly
     * flat, and seed 11 draws its EOS (257) as the 7th token.
     */
    @Test
    void theEosThatEndsASequenceHasNoLogprob() {
        UnaryOperator<SamplingParams.Builder> hot = s -> s.setTemperature(50f).setSeed(11).setMaxTokens(64)
                .setIgnoreEos(false);
        io.moemesh.core.engine.SamplingParams params = new io.moemesh.core.engine.SamplingParams(50f, 0, 1f, 11, 64,
                List.of(), false);
        try (InProcessEngine engine = InProcessEngine.open(TinyRouter.MODEL, Kernels.best(), 0)) {
            assertThat(engine.generate("Hello", params, TokenListener.NONE).finishReason())
                    .as("the seed of this test draws EOS").isEqualTo(FinishReason.EOS);
        }

        List<Chunk> chunks = generate("Hello", s -> hot.apply(s).setLogprobs(true).setTopLogprobs(1));

        Chunk last = chunks.getLast();
        assertThat(last.getTokenIdsList()).last().isEqualTo(router.config.eosTokenId().getAsInt());
        assertThat(last.getLogprobsList()).isEmpty();
        assertThat(chunks.subList(0, chunks.size() - 1))
                .isNotEmpty()
                .allSatisfy(c -> assertThat(c.getLogprobsCount()).isEqualTo(c.getTokenIdsCount()));
    }

    private static long distinct(List<Integer> ids) {
        return ids.stream().distinct().count();
    }
}
