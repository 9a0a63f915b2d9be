package io.moemesh.gateway.openai;

import io.moemesh.proto.v1.Completion;
import io.moemesh.proto.v1.FinishReason;
import io.moemesh.proto.v1.ModelInfo;
import io.moemesh.proto.v1.SkippedExpert;
import io.moemesh.proto.v1.TokenLogprob;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * OpenAI's response bodies and stream chunks, built from the gateway's Generate responses. Every
 * completion and final chunk carries moe-mesh's own facts in one extra field, {@code moemesh}
 * (docs/openai-api.md): the request id the logs and metrics use, whether the mixture was degraded
 * (tokens routed away from an expert no endpoint could serve) and which experts were skipped.
 */
final class OpenAiResponses {

    static final JsonMapper JSON = JsonMapper.builder().build();

    /**
     * Who answers: the response id, its creation time (Unix seconds) and the model; whether the
     * request asked for log probabilities, and for a stream's usage ({@code stream_options.include_usage}:
     * then every chunk has {@code usage}, null but in the last).
     */
    record Header(boolean chat, String id, long created, String model, boolean logprobs, boolean includeUsage) {

        String object(boolean chunk) {
            return chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion";
        }
    }

    /**
     * One finished choice: its text, its tokens' log probabilities (when asked for) and the router's
     * completion (finish reason, usage, degradation).
     */
    record Choice(int index, String text, List<TokenLogprob> logprobs, Completion completion, String requestId) {
    }

    private OpenAiResponses() {
    }

    static String finishReason(FinishReason reason) {
        return switch (reason) {
            case FINISH_REASON_LENGTH -> "length";
            case FINISH_REASON_EOS, FINISH_REASON_STOP -> "stop";
            default -> null;
        };
    }

    static ObjectNode completion(Header header, List<Choice> choices, String requestId) {
        ObjectNode body = start(header, false);
        ArrayNode array = body.putArray("choices");
        for (Choice c : choices) {
            ObjectNode choice = array.addObject().put("index", c.index());
            if (header.chat()) {
                choice.putObject("message").put("role", "assistant").put("content", c.text());
            } else {
                choice.put("text", c.text());
            }
            choice.set("logprobs", logprobs(header, c.logprobs(), 0));
            choice.put("finish_reason", finishReason(c.completion().getFinishReason()));
        }
        body.set("usage", usage(choices));
        body.set("moemesh", extras(requestId, choices));
        return body;
    }

    /**
     * A chunk of new text for choice {@code index}, with its tokens' log probabilities when asked for
     * ({@code offset}: the characters of the choice's earlier tokens); chat's first chunk of a choice
     * also names the role.
     */
    static ObjectNode textChunk(Header header, int index, String text, boolean first, List<TokenLogprob> logprobs,
            int offset) {
        ObjectNode body = start(header, true);
        ObjectNode choice = body.putArray("choices").addObject().put("index", index);
        if (header.chat()) {
            ObjectNode delta = choice.putObject("delta");
            if (first) {
                delta.put("role", "assistant");
            }
            delta.put("content", text);
        } else {
            choice.put("text", text);
        }
        choice.set("logprobs", logprobs(header, logprobs, offset));
        choice.putNull("finish_reason");
        return body;
    }

    /** null unless asked for; then the endpoint's shape. */
    private static JsonNode logprobs(Header header, List<TokenLogprob> logprobs, int offset) {
        if (!header.logprobs()) {
            return JSON.nullNode();
        }
        return header.chat() ? OpenAiLogprobs.chat(logprobs) : OpenAiLogprobs.completion(logprobs, offset);
    }

    /** The last chunk of a choice: its finish reason (and, in {@code moemesh}, its degradation). */
    static ObjectNode finalChunk(Header header, Choice finished) {
        ObjectNode body = start(header, true);
        ObjectNode choice = body.putArray("choices").addObject().put("index", finished.index());
        if (header.chat()) {
            choice.putObject("delta");
        } else {
            choice.put("text", "");
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(finished.completion().getFinishReason()));
        body.set("moemesh", extras(finished.requestId(), List.of(finished)));
        return body;
    }

    /** {@code stream_options.include_usage}: no choices, the usage of them all. */
    static ObjectNode usageChunk(Header header, List<Choice> choices) {
        ObjectNode body = start(header, true);
        body.putArray("choices");
        body.set("usage", usage(choices));
        return body;
    }

    static ObjectNode models(List<ModelInfo> models, long created) {
        ObjectNode body = JSON.createObjectNode().put("object", "list");
        ArrayNode data = body.putArray("data");
        for (ModelInfo m : models) {
            ObjectNode model = data.addObject().put("id", m.getName()).put("object", "model").put("created", created)
                    .put("owned_by", "moe-mesh");
            model.putObject("moemesh").put("architecture", m.getArchitecture()).put("num_layers", m.getNumLayers())
                    .put("num_moe_layers", m.getNumMoeLayers()).put("num_experts", m.getNumExperts())
                    .put("experts_per_token", m.getExpertsPerToken()).put("max_context", m.getMaxContext())
                    .put("chat_template", !m.getChatTemplate().isEmpty());
        }
        return body;
    }

    static ObjectNode error(OpenAiError error) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode e = body.putObject("error").put("message", error.getMessage()).put("type", error.type());
        e.put("param", error.param());
        e.put("code", error.code());
        return body;
    }

    private static ObjectNode start(Header header, boolean chunk) {
        ObjectNode body = JSON.createObjectNode().put("id", header.id()).put("object", header.object(chunk))
                .put("created", header.created()).put("model", header.model());
        if (chunk && header.includeUsage()) {
            body.putNull("usage");
        }
        return body;
    }

    private static ObjectNode usage(List<Choice> choices) {
        int prompt = 0;
        int completion = 0;
        for (Choice c : choices) {
            prompt += c.completion().getUsage().getPromptTokens();
            completion += c.completion().getUsage().getCompletionTokens();
        }
        return JSON.createObjectNode().put("prompt_tokens", prompt).put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
    }

    private static ObjectNode extras(String requestId, List<Choice> choices) {
        ObjectNode extras = JSON.createObjectNode().put("request_id", requestId);
        extras.put("degraded", choices.stream().anyMatch(c -> c.completion().getDegraded()));
        // as the router measured them (the longest choice): what the HTTP client saw beyond is the edge's
        extras.put("time_to_first_token_ms", choices.stream()
                .mapToLong(c -> c.completion().getUsage().getTimeToFirstTokenMicros()).max().orElse(0) / 1000.0);
        extras.put("total_time_ms", choices.stream()
                .mapToLong(c -> c.completion().getUsage().getTotalTimeMicros()).max().orElse(0) / 1000.0);
        ArrayNode skipped = extras.putArray("skipped_experts");
        for (Choice c : choices) {
            for (SkippedExpert s : c.completion().getSkippedExpertsList()) {
                skipped.addObject().put("index", c.index()).put("layer", s.getLayer()).put("expert", s.getExpert())
                        .put("tokens", s.getTokens());
            }
        }
        ArrayNode pruned = extras.putArray("pruned_experts"); // pruned by plan: not degraded
        for (Choice c : choices) {
            for (SkippedExpert s : c.completion().getPrunedExpertsList()) {
                pruned.addObject().put("index", c.index()).put("layer", s.getLayer()).put("expert", s.getExpert())
                        .put("tokens", s.getTokens());
            }
        }
        return extras;
    }
}
