package io.moemesh.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.grpc.ManagedChannel;
import io.moemesh.proto.v1.Completion;
import io.moemesh.proto.v1.FinishReason;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.ListModelsResponse;
import io.moemesh.proto.v1.Usage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MoeMeshClientTest {

    private final InProcessMoeMesh mesh = new InProcessMoeMesh();
    private final FakeMoeMesh server = mesh.fake;
    private final ManagedChannel channel = mesh.channel;
    private final MoeMeshClient client =
            MoeMeshClient.builder().channel(channel).apiKey("k-123").defaultDeadline(Duration.ofSeconds(7)).build();

    @AfterEach
    void stop() {
        client.close();
        mesh.close();
    }

    @Test
    void generateJoinsTextAndTokenIdsOfAllChunksInOrder() {
        server.script = FakeMoeMesh.streaming(FakeMoeMesh.chunk("Hel", 1, 2), FakeMoeMesh.chunk("", 3),
                FakeMoeMesh.chunk("lo", 4), FakeMoeMesh.completion(Completion.getDefaultInstance()));

        GenerationResult result = client.generate(GenerateOptions.ofPrompt("hi"));

        assertThat(result.text()).isEqualTo("Hello");
        assertThat(result.tokenIds()).containsExactly(1, 2, 3, 4);
    }

    @Test
    void generateReturnsTheCompletionFields() {
        server.script = FakeMoeMesh.streaming(FakeMoeMesh.chunk("a", 5), FakeMoeMesh.completion(Completion.newBuilder()
                .setFinishReason(FinishReason.FINISH_REASON_STOP).setDegraded(true).setRequestId("r-9")
                .setUsage(Usage.newBuilder().setPromptTokens(3).setCompletionTokens(1)
                        .setTimeToFirstTokenMicros(1500).setTotalTimeMicros(4000))
                .addSkippedExperts(io.moemesh.proto.v1.SkippedExpert.newBuilder().setLayer(1).setExpert(6).setTokens(2))
                .addPrunedExperts(io.moemesh.proto.v1.SkippedExpert.newBuilder().setLayer(0).setExpert(3).setTokens(4))
                .build()));

        GenerationResult result = client.generate(GenerateOptions.ofPrompt("hi"));

        assertThat(result.finishReason()).isEqualTo(io.moemesh.client.FinishReason.STOP);
        assertThat(result.usage()).isEqualTo(new TokenUsage(3, 1, Duration.ofNanos(1_500_000), Duration.ofMillis(4)));
        assertThat(result.degraded()).isTrue();
        assertThat(result.skippedExperts()).containsExactly(new SkippedExpert(1, 6, 2));
        assertThat(result.prunedExperts()).containsExactly(new SkippedExpert(0, 3, 4));
        assertThat(result.requestId()).isEqualTo("r-9");
    }

    @Test
    void generateSendsEveryOptionAsItsRequestField() {
        server.script = completesEmpty();

        client.generate(GenerateOptions.builder().prompt("p").model("m").temperature(0.7f).topK(40).topP(0.9f)
                .seed(42).maxTokens(12).stop("\n", "END").ignoreEos(true).requestId("req-1").refusePrunedExperts(true).build());

        GenerateRequest sent = server.requests.getFirst();
        assertThat(sent.getPrompt()).isEqualTo("p");
        assertThat(sent.getModel()).isEqualTo("m");
        assertThat(sent.getRequestId()).isEqualTo("req-1");
        assertThat(sent.getSampling().getTemperature()).isEqualTo(0.7f);
        assertThat(sent.getSampling().getTopK()).isEqualTo(40);
        assertThat(sent.getSampling().getTopP()).isEqualTo(0.9f);
        assertThat(sent.getSampling().getSeed()).isEqualTo(42);
        assertThat(sent.getSampling().getMaxTokens()).isEqualTo(12);
        assertThat(sent.getSampling().getStopList()).containsExactly("\n", "END");
        assertThat(sent.getSampling().getIgnoreEos()).isTrue();
        assertThat(sent.getRefusePrunedExperts()).isTrue();
    }

    @Test
    void generateSendsTokenIdsInsteadOfTextWhenGivenPromptIds() {
        server.script = completesEmpty();

        client.generate(GenerateOptions.builder().prompt("ignored").promptIds(List.of(7, 8, 9)).build());

        GenerateRequest sent = server.requests.getFirst();
        assertThat(sent.getInputCase()).isEqualTo(GenerateRequest.InputCase.PROMPT_IDS);
        assertThat(sent.getPromptIds().getIdsList()).containsExactly(7, 8, 9);
    }

    @Test
    void generateFailsWhenTheStreamEndsWithoutCompletion() {
        server.script = FakeMoeMesh.streaming(FakeMoeMesh.chunk("a", 1));

        assertThatThrownBy(() -> client.generate(GenerateOptions.ofPrompt("hi")))
                .isExactlyInstanceOf(MoeMeshException.class)
                .hasMessageContaining("without a completion");
    }

    @Test
    void sendsTheApiKeyAsBearerAuthorizationHeader() {
        server.script = completesEmpty();

        client.generate(GenerateOptions.ofPrompt("hi"));

        assertThat(server.headers.getFirst().get(ApiKeyCredentials.AUTHORIZATION)).isEqualTo("Bearer k-123");
    }

    @Test
    void sendsNoAuthorizationHeaderWithoutApiKey() {
        server.script = completesEmpty();
        try (MoeMeshClient anonymous = MoeMeshClient.builder().channel(channel).build()) {
            anonymous.generate(GenerateOptions.ofPrompt("hi"));
        }

        assertThat(server.headers.getFirst().containsKey(ApiKeyCredentials.AUTHORIZATION)).isFalse();
    }

    @Test
    void generateCarriesTheDefaultDeadline() {
        server.script = completesEmpty();

        client.generate(GenerateOptions.ofPrompt("hi"));

        assertThat(server.deadlines.getFirst().timeRemaining(TimeUnit.MILLISECONDS)).isCloseTo(7_000L, within(1_000L));
    }

    @Test
    void generateCarriesTheDeadlineOfItsOptionsOverTheDefault() {
        server.script = completesEmpty();

        client.generate(GenerateOptions.builder().prompt("hi").deadline(Duration.ofSeconds(2)).build());

        assertThat(server.deadlines.getFirst().timeRemaining(TimeUnit.MILLISECONDS)).isCloseTo(2_000L, within(1_000L));
    }

    @Test
    void listModelsCarriesTheDefaultDeadline() {
        client.listModels();

        assertThat(server.deadlines.getFirst().timeRemaining(TimeUnit.MILLISECONDS)).isCloseTo(7_000L, within(1_000L));
    }

    @Test
    void listModelsReturnsEveryModelWithItsShape() {
        server.models = ListModelsResponse.newBuilder().addModels(io.moemesh.proto.v1.ModelInfo.newBuilder()
                .setName("mini").setNumLayers(4).setNumExperts(16).setExpertsPerToken(2).setHiddenSize(256)
                .setVocabSize(8000).setMaxContext(1024).setArchitecture("DeepseekForCausalLM").setNumMoeLayers(3))
                .build();

        assertThat(client.listModels()).containsExactly(
                new ModelInfo("mini", 4, 16, 2, 256, 8000, 1024, "DeepseekForCausalLM", 3));
    }

    @Test
    void closeLeavesAChannelPassedToTheBuilderOpen() {
        client.close();

        assertThat(channel.isShutdown()).isFalse();
    }

    @Test
    void builderRejectsAMissingTarget() {
        assertThatThrownBy(() -> MoeMeshClient.builder().build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("target is required");
    }

    @Test
    void builderRejectsAnUnreadableTrustCertificateFile() {
        assertThatThrownBy(() -> MoeMeshClient.builder().target("localhost:1")
                .tls(java.nio.file.Path.of("/nonexistent/ca.pem")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/nonexistent/ca.pem");
    }

    private static FakeMoeMesh.Script completesEmpty() {
        return FakeMoeMesh.streaming(FakeMoeMesh.completion(Completion.getDefaultInstance()));
    }
}
