package io.moemesh.router.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.validation.GenerateRequestValidator;
import io.moemesh.proto.validation.InvalidRequestException;
import io.moemesh.proto.validation.RequestLimits;
import java.util.List;
import java.util.UUID;

/**
 * Maps a public {@code GenerateRequest} to engine input, answering bad fields with INVALID_ARGUMENT.
 * Fields are checked with the gateway's validator and limits first (the router's public port is
 * reached without a gateway too), then what only the router knows: the vocabulary, and the
 * prompt's length in tokens against {@code max-prompt-tokens} and the model's context.
 */
final class GenerateRequests {

    private final GenerateRequestValidator validator;
    private final int maxPromptTokens;
    private final TextTokenizer tokenizer;
    private final ModelConfig config;

    GenerateRequests(RequestLimits limits, TextTokenizer tokenizer, ModelConfig config) {
        this.validator = new GenerateRequestValidator(limits, () -> UUID.randomUUID().toString());
        this.maxPromptTokens = limits.maxPromptTokens();
        this.tokenizer = tokenizer;
        this.config = config;
    }

    /** The request with its fields checked and defaults (max_tokens, top_p, request_id) filled in. */
    GenerateRequest validated(GenerateRequest request) {
        try {
            return validator.validated(request);
        } catch (InvalidRequestException e) {
            throw invalid(e.getMessage());
        }
    }

    /** The prompt's token ids, tokenized if it is text; {@code request} is {@link #validated}. */
    int[] promptIds(GenerateRequest request) {
        boolean text = request.getInputCase() == GenerateRequest.InputCase.PROMPT;
        int[] ids = text ? tokenizer.encode(request.getPrompt())
                : request.getPromptIds().getIdsList().stream().mapToInt(Integer::intValue).toArray();
        String what = text ? "prompt is " + ids.length + " tokens after tokenization"
                : "prompt_ids has " + ids.length + " tokens";
        if (ids.length == 0) {
            throw invalid("prompt is empty after tokenization: send text the tokenizer keeps, or prompt_ids");
        }
        if (ids.length > maxPromptTokens) {
            throw invalid(what + "; the limit is " + maxPromptTokens + " (moemesh.router.max-prompt-tokens)");
        }
        if (ids.length >= config.maxPositionEmbeddings()) {
            throw invalid(what + ", which leaves no room in the model's context of " + config.maxPositionEmbeddings()
                    + " tokens");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] >= config.vocabSize()) { // negative ids were refused by the validator
                throw invalid("prompt_ids[" + i + "] = " + ids[i] + " is outside the vocabulary [0, "
                        + config.vocabSize() + ")");
            }
        }
        return ids;
    }

    /** The engine's sampling parameters of a {@link #validated} request. */
    static SamplingParams sampling(GenerateRequest request) {
        var p = request.getSampling();
        try {
            return new SamplingParams(p.getTemperature(), p.getTopK(), p.getTopP(), p.getSeed(), p.getMaxTokens(),
                    List.copyOf(p.getStopList()), p.getIgnoreEos(), p.getPresencePenalty(), p.getFrequencyPenalty(),
                    p.getLogprobs() ? p.getTopLogprobs() : SamplingParams.NO_LOGPROBS);
        } catch (IllegalArgumentException e) {
            throw invalid("sampling." + e.getMessage());
        }
    }

    static StatusRuntimeException invalid(String description) {
        return Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException();
    }
}
