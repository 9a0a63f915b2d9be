package io.moemesh.router.grpc;

import io.grpc.Status;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.proto.v1.GenerateRequest;
import java.util.List;

/** Maps a public {@code GenerateRequest} to engine input, answering bad fields with INVALID_ARGUMENT. */
final class GenerateRequests {

    static final int DEFAULT_MAX_TOKENS = 256;

    private GenerateRequests() {
    }

    static int[] promptIds(GenerateRequest request, TextTokenizer tokenizer, ModelConfig config) {
        int[] ids = switch (request.getInputCase()) {
            case PROMPT -> {
                if (request.getPrompt().isEmpty()) {
                    throw invalid("prompt is empty");
                }
                yield tokenizer.encode(request.getPrompt());
            }
            case PROMPT_IDS -> request.getPromptIds().getIdsList().stream().mapToInt(Integer::intValue).toArray();
            case INPUT_NOT_SET -> throw invalid("set prompt or prompt_ids");
        };
        if (ids.length == 0) {
            throw invalid("prompt_ids is empty");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= config.vocabSize()) {
                throw invalid("prompt_ids[" + i + "] = " + ids[i] + " is outside the vocabulary [0, "
                        + config.vocabSize() + ")");
            }
        }
        return ids;
    }

    static SamplingParams sampling(GenerateRequest request) {
        var p = request.getSampling();
        float topP = p.getTopP() == 0f ? 1f : p.getTopP();
        int maxTokens = p.getMaxTokens() == 0 ? DEFAULT_MAX_TOKENS : p.getMaxTokens();
        try {
            return new SamplingParams(p.getTemperature(), p.getTopK(), topP, p.getSeed(), maxTokens,
                    List.copyOf(p.getStopList()), p.getIgnoreEos());
        } catch (IllegalArgumentException e) {
            throw invalid("sampling." + e.getMessage());
        }
    }

    static io.grpc.StatusRuntimeException invalid(String description) {
        return Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException();
    }
}
