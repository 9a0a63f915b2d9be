package io.moemesh.client.internal;

import io.moemesh.client.FinishReason;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.ModelInfo;
import io.moemesh.client.SkippedExpert;
import io.moemesh.client.TextChunk;
import io.moemesh.client.TokenLogprob;
import io.moemesh.client.TokenUsage;
import io.moemesh.client.TopLogprob;
import io.moemesh.proto.v1.Chunk;
import io.moemesh.proto.v1.Completion;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.SamplingParams;
import io.moemesh.proto.v1.TokenIds;
import io.moemesh.proto.v1.Usage;
import java.time.Duration;
import java.util.List;

/** Between the SDK's records and the moemesh.v1 messages. Values pass unchanged: the server validates. */
public final class ProtoMapper {

    private ProtoMapper() {
    }

    public static GenerateRequest request(GenerateOptions options) {
        GenerateRequest.Builder request = GenerateRequest.newBuilder()
                .setModel(options.model())
                .setRequestId(options.requestId())
                .setSampling(SamplingParams.newBuilder()
                        .setTemperature(options.temperature())
                        .setTopK(options.topK())
                        .setTopP(options.topP())
                        .setSeed(options.seed())
                        .setMaxTokens(options.maxTokens())
                        .addAllStop(options.stop())
                        .setIgnoreEos(options.ignoreEos())
                        .setPresencePenalty(options.presencePenalty())
                        .setFrequencyPenalty(options.frequencyPenalty())
                        .setLogprobs(options.logprobs())
                        .setTopLogprobs(options.topLogprobs()))
                .setRefusePrunedExperts(options.refusePrunedExperts());
        if (options.promptIds() != null) {
            request.setPromptIds(TokenIds.newBuilder().addAllIds(options.promptIds()));
        } else if (options.prompt() != null) {
            request.setPrompt(options.prompt());
        }
        return request.build();
    }

    public static TextChunk chunk(Chunk chunk) {
        return new TextChunk(chunk.getTokenIdsList(), chunk.getText(),
                chunk.getLogprobsList().stream().map(ProtoMapper::logprob).toList());
    }

    private static TokenLogprob logprob(io.moemesh.proto.v1.TokenLogprob logprob) {
        return new TokenLogprob(logprob.getTokenId(), logprob.getLogprob(), logprob.getToken().toByteArray(),
                logprob.getTopList().stream()
                        .map(t -> new TopLogprob(t.getTokenId(), t.getLogprob(), t.getToken().toByteArray()))
                        .toList());
    }

    public static FinishReason finishReason(Completion completion) {
        return switch (completion.getFinishReason()) {
            case FINISH_REASON_LENGTH -> FinishReason.LENGTH;
            case FINISH_REASON_EOS -> FinishReason.EOS;
            case FINISH_REASON_STOP -> FinishReason.STOP;
            case FINISH_REASON_UNSPECIFIED, UNRECOGNIZED -> FinishReason.UNSPECIFIED;
        };
    }

    public static TokenUsage usage(Usage usage) {
        return new TokenUsage(usage.getPromptTokens(), usage.getCompletionTokens(),
                Duration.ofNanos(usage.getTimeToFirstTokenMicros() * 1_000),
                Duration.ofNanos(usage.getTotalTimeMicros() * 1_000));
    }

    public static List<SkippedExpert> prunedExperts(Completion completion) {
        return completion.getPrunedExpertsList().stream()
                .map(s -> new SkippedExpert(s.getLayer(), s.getExpert(), s.getTokens()))
                .toList();
    }

    public static List<SkippedExpert> skippedExperts(Completion completion) {
        return completion.getSkippedExpertsList().stream()
                .map(s -> new SkippedExpert(s.getLayer(), s.getExpert(), s.getTokens()))
                .toList();
    }

    public static ModelInfo model(io.moemesh.proto.v1.ModelInfo model) {
        return new ModelInfo(model.getName(), model.getNumLayers(), model.getNumExperts(), model.getExpertsPerToken(),
                model.getHiddenSize(), model.getVocabSize(), model.getMaxContext(), model.getArchitecture(),
                model.getNumMoeLayers());
    }
}
