package io.moemesh.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.moemesh.proto.v1.Chunk;
import io.moemesh.proto.v1.Completion;
import io.moemesh.proto.v1.FinishReason;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.SamplingParams;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Penalties and log probabilities: the request fields the SDK sends and the logprobs it hands back. */
class LogprobsTest {

    /** "é" is C3 A9 in UTF-8: a byte-level tokenizer may give each byte its own token, neither valid text alone. */
    private static final byte[] E_ACUTE_LEAD = {(byte) 0xC3};
    private static final byte[] E_ACUTE_TAIL = {(byte) 0xA9};
    private static final int EOS = 2;

    private final InProcessMoeMesh mesh = new InProcessMoeMesh();
    private final MoeMeshClient client = mesh.client();

    @AfterEach
    void stop() {
        client.close();
        mesh.close();
    }

    @Test
    void penaltiesAndLogprobsAreSentAsTheirSamplingFields() {
        mesh.fake.script = completesEmpty();

        client.generate(GenerateOptions.builder().prompt("p").presencePenalty(0.5f).frequencyPenalty(-1.25f)
                .logprobs(true).topLogprobs(5).build());

        SamplingParams sent = mesh.fake.requests.getFirst().getSampling();
        assertThat(sent.getPresencePenalty()).isEqualTo(0.5f);
        assertThat(sent.getFrequencyPenalty()).isEqualTo(-1.25f);
        assertThat(sent.getLogprobs()).isTrue();
        assertThat(sent.getTopLogprobs()).isEqualTo(5);
    }

    @Test
    void withoutThemNoPenaltyAndNoLogprobsAreAskedFor() {
        mesh.fake.script = completesEmpty();

        client.generate(GenerateOptions.ofPrompt("p"));

        SamplingParams sent = mesh.fake.requests.getFirst().getSampling();
        assertThat(sent.getPresencePenalty()).isZero();
        assertThat(sent.getFrequencyPenalty()).isZero();
        assertThat(sent.getLogprobs()).isFalse();
        assertThat(sent.getTopLogprobs()).isZero();
    }

    @Test
    void aChunkCarriesEachTokensLogprobWithItsExactBytesAndTopAlternatives() {
        mesh.fake.script = FakeMoeMesh.streaming(halvesOfEAcute(), FakeMoeMesh.completion(Completion.getDefaultInstance()));

        try (GenerationStream stream = client.stream(GenerateOptions.builder().prompt("p").logprobs(true).topLogprobs(2)
                .build())) {
            TextChunk chunk = stream.next();

            assertThat(chunk.text()).isEqualTo("é");
            assertThat(chunk.logprobs()).containsExactly(
                    new TokenLogprob(195, -0.25f, E_ACUTE_LEAD, List.of(new TopLogprob(195, -0.25f, E_ACUTE_LEAD),
                            new TopLogprob(40, -1.5f, new byte[] {'(', ' '}))),
                    new TokenLogprob(169, -0.125f, E_ACUTE_TAIL, List.of(new TopLogprob(168, -0.75f,
                            new byte[] {(byte) 0xA8}), new TopLogprob(169, -0.125f, E_ACUTE_TAIL))));
            assertThat(chunk.logprobs().getFirst().bytes()).containsExactly(0xC3);
            assertThat(chunk.logprobs().getFirst().text()).isEqualTo("\uFFFD");
            assertThat(chunk.logprobs().get(1).top().getFirst().bytes()).containsExactly(0xA8);
        }
    }

    @Test
    void theResultCollectsEveryChunksLogprobsWithNoneForTheFinalEos() {
        mesh.fake.script = FakeMoeMesh.streaming(halvesOfEAcute(),
                response(Chunk.newBuilder().setText("!").addTokenIds(33).addTokenIds(EOS).addLogprobs(logprob(33, -2f,
                        new byte[] {'!'}))),
                FakeMoeMesh.completion(Completion.newBuilder().setFinishReason(FinishReason.FINISH_REASON_EOS).build()));

        GenerationResult result = client.generate(GenerateOptions.builder().prompt("p").logprobs(true).build());

        assertThat(result.tokenIds()).containsExactly(195, 169, 33, EOS);
        assertThat(result.logprobs()).extracting(TokenLogprob::tokenId).containsExactly(195, 169, 33);
        assertThat(result.logprobs()).extracting(TokenLogprob::logprob).containsExactly(-0.25f, -0.125f, -2f);
        assertThat(result.finishReason()).isEqualTo(io.moemesh.client.FinishReason.EOS);
    }

    @Test
    void aListenerGetsTheLogprobsWithEachChunkAndInTheResult() throws Exception {
        mesh.fake.script = FakeMoeMesh.streaming(halvesOfEAcute(), FakeMoeMesh.completion(Completion.getDefaultInstance()));
        RecordingListener listener = new RecordingListener();

        client.stream(GenerateOptions.builder().prompt("p").logprobs(true).topLogprobs(2).build(), listener);

        GenerationResult result = listener.result.get(5, TimeUnit.SECONDS);
        assertThat(listener.chunks).singleElement().satisfies(chunk ->
                assertThat(chunk.logprobs()).extracting(TokenLogprob::tokenId).containsExactly(195, 169));
        assertThat(result.logprobs()).isEqualTo(listener.chunks.getFirst().logprobs());
    }

    @Test
    void withoutLogprobsChunksAndResultHaveEmptyLists() {
        mesh.fake.script = FakeMoeMesh.streaming(FakeMoeMesh.chunk("a", 1),
                FakeMoeMesh.completion(Completion.getDefaultInstance()));

        try (GenerationStream stream = client.stream(GenerateOptions.ofPrompt("p"))) {
            assertThat(stream.next().logprobs()).isEmpty();
            assertThat(stream.result().logprobs()).isEmpty();
        }
    }

    @Test
    void logprobsOfAnotherTokenThanTheChunksAreAProtocolError() {
        mesh.fake.script = FakeMoeMesh.streaming(response(Chunk.newBuilder().setText("ab").addTokenIds(1).addTokenIds(2)
                .addLogprobs(logprob(1, -1f, new byte[] {'a'})).addLogprobs(logprob(7, -1f, new byte[] {'b'}))),
                FakeMoeMesh.completion(Completion.getDefaultInstance()));

        assertThatThrownBy(() -> client.generate(GenerateOptions.builder().prompt("p").logprobs(true).build()))
                .isExactlyInstanceOf(MoeMeshException.class)
                .hasMessage("INTERNAL: the server sent logprobs[1] for token 7 but token_ids[1] is 2");
    }

    @Test
    void moreLogprobsThanTokensAreAProtocolError() {
        mesh.fake.script = FakeMoeMesh.streaming(response(Chunk.newBuilder().setText("a").addTokenIds(1)
                .addLogprobs(logprob(1, -1f, new byte[] {'a'})).addLogprobs(logprob(1, -1f, new byte[] {'a'}))),
                FakeMoeMesh.completion(Completion.getDefaultInstance()));

        assertThatThrownBy(() -> client.generate(GenerateOptions.builder().prompt("p").logprobs(true).build()))
                .hasMessage("INTERNAL: the server sent 2 logprobs for a chunk of 1 tokens");
    }

    @Test
    void aTokenLogprobKeepsItsBytesWhenTheCallerChangesTheArray() {
        byte[] bytes = {'a'};
        TokenLogprob logprob = new TokenLogprob(1, -1f, bytes, List.of());

        bytes[0] = 'b';
        logprob.bytes()[0] = 'c';

        assertThat(logprob.bytes()).containsExactly('a');
    }

    /** Two tokens, C3 and A9, that together make "é", each with two alternatives. */
    private static GenerateResponse halvesOfEAcute() {
        return response(Chunk.newBuilder().setText("é").addTokenIds(195).addTokenIds(169)
                .addLogprobs(logprob(195, -0.25f, E_ACUTE_LEAD).toBuilder()
                        .addTop(top(195, -0.25f, E_ACUTE_LEAD)).addTop(top(40, -1.5f, new byte[] {'(', ' '})))
                .addLogprobs(logprob(169, -0.125f, E_ACUTE_TAIL).toBuilder()
                        .addTop(top(168, -0.75f, new byte[] {(byte) 0xA8})).addTop(top(169, -0.125f, E_ACUTE_TAIL))));
    }

    private static io.moemesh.proto.v1.TokenLogprob logprob(int id, float logprob, byte[] bytes) {
        return io.moemesh.proto.v1.TokenLogprob.newBuilder().setTokenId(id).setLogprob(logprob)
                .setToken(ByteString.copyFrom(bytes)).build();
    }

    private static io.moemesh.proto.v1.TopLogprob top(int id, float logprob, byte[] bytes) {
        return io.moemesh.proto.v1.TopLogprob.newBuilder().setTokenId(id).setLogprob(logprob)
                .setToken(ByteString.copyFrom(bytes)).build();
    }

    private static GenerateResponse response(Chunk.Builder chunk) {
        return GenerateResponse.newBuilder().setChunk(chunk).build();
    }

    private static FakeMoeMesh.Script completesEmpty() {
        return FakeMoeMesh.streaming(FakeMoeMesh.completion(Completion.getDefaultInstance()));
    }
}
