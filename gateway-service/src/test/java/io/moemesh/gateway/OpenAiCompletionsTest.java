package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.moemesh.proto.v1.Chunk;
import io.moemesh.proto.v1.Completion;
import io.moemesh.proto.v1.FinishReason;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.ModelInfo;
import io.moemesh.proto.v1.SkippedExpert;
import io.moemesh.proto.v1.TokenLogprob;
import io.moemesh.proto.v1.TopLogprob;
import io.moemesh.proto.v1.Usage;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code /v1/completions}, {@code /v1/chat/completions} and {@code /v1/models}: each field, as the router sees it. */
class OpenAiCompletionsTest {

    private final HttpGateway gateway = new HttpGateway();

    @AfterEach
    void close() {
        gateway.close();
    }

    /** Streams "Hel", "lo" and a completion with usage, finish reason and one skipped expert. */
    static FakeRouter.Script hello(FinishReason reason) {
        return (request, responses) -> {
            responses.onNext(GenerateResponse.newBuilder().setChunk(Chunk.newBuilder().addTokenIds(7).setText("Hel")).build());
            responses.onNext(GenerateResponse.newBuilder().setChunk(Chunk.newBuilder().addTokenIds(8).setText("lo")).build());
            responses.onNext(GenerateResponse.newBuilder().setCompletion(Completion.newBuilder()
                    .setFinishReason(reason).setRequestId(request.getRequestId()).setDegraded(true)
                    .addSkippedExperts(SkippedExpert.newBuilder().setLayer(1).setExpert(5).setTokens(2))
                    .addPrunedExperts(SkippedExpert.newBuilder().setLayer(0).setExpert(6).setTokens(3))
                    .setUsage(Usage.newBuilder().setPromptTokens(4).setCompletionTokens(2)
                            .setTimeToFirstTokenMicros(1500).setTotalTimeMicros(4000))).build());
            responses.onCompleted();
        };
    }

    @Test
    void completionCarriesTheTextUsageFinishReasonAndMoeMeshExtras() {
        gateway.router.script = hello(FinishReason.FINISH_REASON_LENGTH);
        HttpResponse<String> response = gateway.post("/v1/completions", """
                {"model": "model-of-r1", "prompt": "Say"}""");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode body = HttpGateway.json(response);
        assertThat(body.get("object").asString()).isEqualTo("text_completion");
        assertThat(body.get("id").asString()).startsWith("cmpl-");
        assertThat(body.get("model").asString()).isEqualTo("model-of-r1");
        assertThat(body.at("/choices/0/text").asString()).isEqualTo("Hello");
        assertThat(body.at("/choices/0/index").asInt()).isZero();
        assertThat(body.at("/choices/0/finish_reason").asString()).isEqualTo("length");
        assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(4);
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(2);
        assertThat(body.at("/usage/total_tokens").asInt()).isEqualTo(6);
        assertThat(body.at("/moemesh/degraded").asBoolean()).isTrue();
        assertThat(body.at("/moemesh/time_to_first_token_ms").asDouble()).isEqualTo(1.5);
        assertThat(body.at("/moemesh/total_time_ms").asDouble()).isEqualTo(4.0);
        assertThat(body.at("/moemesh/skipped_experts/0/layer").asInt()).isEqualTo(1);
        assertThat(body.at("/moemesh/skipped_experts/0/expert").asInt()).isEqualTo(5);
        assertThat(body.at("/moemesh/pruned_experts/0/expert").asInt()).isEqualTo(6);
        assertThat(body.at("/moemesh/pruned_experts/0/tokens").asInt()).isEqualTo(3);
        assertThat(body.at("/moemesh/request_id").asString()).isEqualTo(gateway.router.requests.getFirst().getRequestId());
    }

    @Test
    void aLongAnswerIsCollectedWhole() {
        gateway.router.script = FakeRouter.echo(200);
        HttpResponse<String> response = gateway.post("/v1/completions", """
                {"prompt": "Say", "max_tokens": 200}""");

        assertThat(HttpGateway.json(response).at("/choices/0/text").asString()).startsWith("t0t1t2").endsWith("t199");
    }

    /** "Hel" and "lo", with log probabilities and alternatives, then a half character (byte 0xC3) alone. */
    static FakeRouter.Script withLogprobs() {
        return (request, responses) -> {
            responses.onNext(GenerateResponse.newBuilder().setChunk(Chunk.newBuilder().addTokenIds(7).setText("Hel")
                    .addLogprobs(logprob(7, -0.5f, "Hel").addTop(top(7, -0.5f, "Hel")).addTop(top(9, -1.5f, "Ha"))))
                    .build());
            responses.onNext(GenerateResponse.newBuilder().setChunk(Chunk.newBuilder().addTokenIds(8).setText("lo")
                    .addLogprobs(logprob(8, -0.25f, "lo"))).build());
            responses.onNext(GenerateResponse.newBuilder().setChunk(Chunk.newBuilder().addTokenIds(200)
                    .addLogprobs(TokenLogprob.newBuilder().setTokenId(200).setLogprob(-2f)
                            .setToken(ByteString.copyFrom(new byte[] {(byte) 0xC3})))).build());
            responses.onNext(GenerateResponse.newBuilder().setCompletion(Completion.newBuilder()
                    .setFinishReason(FinishReason.FINISH_REASON_LENGTH).setRequestId(request.getRequestId())).build());
            responses.onCompleted();
        };
    }

    private static TokenLogprob.Builder logprob(int id, float logprob, String token) {
        return TokenLogprob.newBuilder().setTokenId(id).setLogprob(logprob).setToken(ByteString.copyFromUtf8(token));
    }

    private static TopLogprob top(int id, float logprob, String token) {
        return TopLogprob.newBuilder().setTokenId(id).setLogprob(logprob).setToken(ByteString.copyFromUtf8(token)).build();
    }

    @Test
    void completionLogprobsComeInTheLegacyShapeWithTextOffsets() {
        gateway.router.script = withLogprobs();
        JsonNode body = HttpGateway.json(gateway.post("/v1/completions", """
                {"prompt": "Say", "logprobs": 2}"""));

        var sampling = gateway.router.requests.getFirst().getSampling();
        assertThat(sampling.getLogprobs()).isTrue();
        assertThat(sampling.getTopLogprobs()).isEqualTo(2);
        JsonNode logprobs = body.at("/choices/0/logprobs");
        assertThat(logprobs.get("tokens")).extracting(JsonNode::asString).containsExactly("Hel", "lo", "\uFFFD");
        assertThat(logprobs.get("token_logprobs")).extracting(JsonNode::asDouble).containsExactly(-0.5, -0.25, -2.0);
        assertThat(logprobs.at("/top_logprobs/0/Ha").asDouble()).isEqualTo(-1.5);
        assertThat(logprobs.get("text_offset")).extracting(JsonNode::asInt).containsExactly(0, 3, 5);
    }

    @Test
    void chatLogprobsCarryEachTokensBytes() {
        gateway.router.script = withLogprobs();
        JsonNode body = HttpGateway.json(gateway.post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Hi"}], "logprobs": true, "top_logprobs": 2}"""));

        JsonNode content = body.at("/choices/0/logprobs/content");
        assertThat(content).hasSize(3);
        assertThat(content.at("/0/token").asString()).isEqualTo("Hel");
        assertThat(content.at("/0/bytes")).extracting(JsonNode::asInt).containsExactly(72, 101, 108);
        assertThat(content.at("/0/top_logprobs/1/token").asString()).isEqualTo("Ha");
        assertThat(content.at("/0/top_logprobs/1/logprob").asDouble()).isEqualTo(-1.5);
        assertThat(content.at("/2/bytes")).extracting(JsonNode::asInt).containsExactly(0xC3);
    }

    @Test
    void withoutLogprobsTheyAreNull() {
        gateway.router.script = withLogprobs();
        JsonNode body = HttpGateway.json(gateway.post("/v1/completions", """
                {"prompt": "Say"}"""));

        assertThat(gateway.router.requests.getFirst().getSampling().getLogprobs()).isFalse();
        assertThat(body.at("/choices/0/logprobs").isNull()).isTrue();
    }

    @Test
    void penaltiesReachTheRouter() {
        gateway.post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Hi"}], "presence_penalty": 0.5, "frequency_penalty": -1}""");

        var sampling = gateway.router.requests.getFirst().getSampling();
        assertThat(sampling.getPresencePenalty()).isEqualTo(0.5f);
        assertThat(sampling.getFrequencyPenalty()).isEqualTo(-1f);
    }

    @Test
    void openAiDefaultsApplyWhenFieldsAreLeftOut() {
        gateway.post("/v1/completions", """
                {"prompt": "Say"}""");

        GenerateRequest forwarded = gateway.router.requests.getFirst();
        assertThat(forwarded.getModel()).isEqualTo("model-of-r1"); // the deployment's only model
        assertThat(forwarded.getPrompt()).isEqualTo("Say");
        assertThat(forwarded.getSampling().getTemperature()).isEqualTo(1.0f);
        assertThat(forwarded.getSampling().getTopP()).isEqualTo(1.0f);
        assertThat(forwarded.getSampling().getMaxTokens()).isEqualTo(16);
    }

    @Test
    void samplingFieldsReachTheRouter() {
        gateway.post("/v1/completions", """
                {"model": "model-of-r1", "prompt": "Say", "temperature": 0.5, "top_p": 0.9, "top_k": 40,
                 "seed": 1234, "max_tokens": 99, "stop": ["\\n", "END"], "ignore_eos": true, "user": "u-1",
                 "n": 1, "logprobs": null}""");

        var sampling = gateway.router.requests.getFirst().getSampling();
        assertThat(sampling.getTemperature()).isEqualTo(0.5f);
        assertThat(sampling.getTopP()).isEqualTo(0.9f);
        assertThat(sampling.getTopK()).isEqualTo(40);
        assertThat(sampling.getSeed()).isEqualTo(1234);
        assertThat(sampling.getMaxTokens()).isEqualTo(99);
        assertThat(sampling.getStopList()).containsExactly("\n", "END");
        assertThat(sampling.getIgnoreEos()).isTrue();
    }

    @Test
    void aSingleStopStringAndMaxCompletionTokensAreRead() {
        gateway.post("/v1/completions", """
                {"prompt": "Say", "stop": "END", "max_tokens": 5, "max_completion_tokens": 7, "top_k": -1}""");

        var sampling = gateway.router.requests.getFirst().getSampling();
        assertThat(sampling.getStopList()).containsExactly("END");
        assertThat(sampling.getMaxTokens()).isEqualTo(7);
        assertThat(sampling.getTopK()).isZero();
    }

    @Test
    void withoutASeedEachRequestSamplesWithItsOwn() {
        gateway.post("/v1/completions", """
                {"prompt": "a"}""");
        gateway.post("/v1/completions", """
                {"prompt": "a"}""");

        assertThat(gateway.router.requests.get(0).getSampling().getSeed())
                .isNotEqualTo(gateway.router.requests.get(1).getSampling().getSeed());
    }

    @Test
    void tokenIdPromptsAreForwardedAsIds() {
        gateway.post("/v1/completions", """
                {"prompt": [3, 1, 4]}""");

        assertThat(gateway.router.requests.getFirst().getPromptIds().getIdsList()).containsExactly(3, 1, 4);
    }

    @Test
    void severalPromptsBecomeOneChoiceEach() {
        gateway.router.script = hello(FinishReason.FINISH_REASON_STOP);
        HttpResponse<String> response = gateway.post("/v1/completions", """
                {"prompt": ["one", [5, 6]]}""");

        JsonNode body = HttpGateway.json(response);
        assertThat(body.get("choices")).hasSize(2);
        assertThat(body.at("/choices/0/index").asInt()).isZero();
        assertThat(body.at("/choices/1/index").asInt()).isEqualTo(1);
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(4);
        assertThat(gateway.router.requests).extracting(GenerateRequest::getRequestId)
                .allSatisfy(id -> assertThat(id).startsWith(body.at("/moemesh/request_id").asString() + "-"));
        assertThat(gateway.router.requests).anySatisfy(r -> assertThat(r.getPrompt()).isEqualTo("one"))
                .anySatisfy(r -> assertThat(r.getPromptIds().getIdsList()).containsExactly(5, 6));
    }

    @Test
    void chatRendersTheMessagesWithTheDefaultTemplateAndAnswersAsTheAssistant() {
        gateway.router.script = hello(FinishReason.FINISH_REASON_EOS);
        HttpResponse<String> response = gateway.post("/v1/chat/completions", """
                {"model": "model-of-r1", "messages": [{"role": "user", "content": "Hi"}], "max_completion_tokens": 9}""");

        JsonNode body = HttpGateway.json(response);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(body.get("object").asString()).isEqualTo("chat.completion");
        assertThat(body.get("id").asString()).startsWith("chatcmpl-");
        assertThat(body.at("/choices/0/message/role").asString()).isEqualTo("assistant");
        assertThat(body.at("/choices/0/message/content").asString()).isEqualTo("Hello");
        assertThat(body.at("/choices/0/finish_reason").asString()).isEqualTo("stop");
        GenerateRequest forwarded = gateway.router.requests.getFirst();
        assertThat(forwarded.getPrompt()).contains("Hi").endsWith("Assistant:");
        assertThat(forwarded.getSampling().getMaxTokens()).isEqualTo(9);
    }

    @Test
    void chatUsesTheModelsOwnTemplateAndTextParts() {
        gateway.router.model = ModelInfo.newBuilder().setName("m").setBosToken("<s>")
                .setChatTemplate("{{ bos_token }}{% for m in messages %}[{{ m['role'] }}]{{ m['content'] }}{% endfor %}"
                        + "{% if add_generation_prompt %}[assistant]{% endif %}").build();
        gateway.post("/v1/chat/completions", """
                {"messages": [{"role": "developer", "content": "Be brief."},
                              {"role": "user", "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}]}]}""");

        assertThat(gateway.router.requests.getFirst().getPrompt())
                .isEqualTo("<s>[system]Be brief.[user]Hi there[assistant]");
    }

    @Test
    void modelsListsWhatTheRoutersServe() {
        gateway.router.model = ModelInfo.newBuilder().setName("mesh").setNumExperts(16).setNumLayers(4)
                .setExpertsPerToken(2).build();
        HttpResponse<String> response = gateway.get("/v1/models", InProcessGateway.KEY);

        JsonNode body = HttpGateway.json(response);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(body.get("object").asString()).isEqualTo("list");
        assertThat(body.at("/data/0/id").asString()).isEqualTo("mesh");
        assertThat(body.at("/data/0/object").asString()).isEqualTo("model");
        assertThat(body.at("/data/0/owned_by").asString()).isEqualTo("moe-mesh");
        assertThat(body.at("/data/0/moemesh/num_experts").asInt()).isEqualTo(16);
    }
}
