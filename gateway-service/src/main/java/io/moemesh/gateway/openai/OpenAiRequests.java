package io.moemesh.gateway.openai;

import io.moemesh.proto.v1.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import tools.jackson.databind.JsonNode;

/**
 * Reads OpenAI's request bodies into a {@link CompletionRequest}, or refuses them with a 400 that
 * names the field. What moe-mesh does with each field is in docs/openai-api.md: fields it cannot
 * honour (tools, several choices, logit bias, echo) are refused when set to anything but
 * their neutral value, so that a client never silently gets less than it asked for; fields that do
 * not change the output ({@code user}, {@code store}, {@code metadata}…) and unknown fields are
 * ignored, as vLLM ignores them. Limits (prompt size, {@code max_tokens}, stop strings) are the
 * gateway's own, checked by the same validator as gRPC requests (so are the penalties' range).
 */
final class OpenAiRequests {

    /** OpenAI's default {@code max_tokens} for {@code /v1/completions}; chat uses the gateway's default. */
    static final int COMPLETIONS_DEFAULT_MAX_TOKENS = 16;
    /** Prompts in one completions request, each a generation of its own. */
    static final int MAX_PROMPTS = 8;
    /** Alternatives per token at most: the gRPC API's limit (OpenAI's own is 5 for completions, 20 for chat). */
    static final int MAX_TOP_LOGPROBS = 20;
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

    private OpenAiRequests() {
    }

    static CompletionRequest completion(JsonNode body) {
        requireObject(body);
        refuseCommon(body);
        if (body.hasNonNull("echo") && body.get("echo").asBoolean(false)) {
            throw OpenAiError.unsupported("echo", "'echo' is not supported: the response holds the completion only");
        }
        if (body.hasNonNull("suffix") && !body.get("suffix").asString("").isEmpty()) {
            throw OpenAiError.unsupported("suffix", "'suffix' (insertion) is not supported");
        }
        if (body.hasNonNull("best_of") && !isOne(body.get("best_of"))) {
            throw OpenAiError.unsupported("best_of", "'best_of' must be 1: moe-mesh generates one sequence per prompt");
        }
        List<CompletionRequest.Prompt> prompts = prompts(body.get("prompt"));
        SamplingParams.Builder sampling = sampling(body, COMPLETIONS_DEFAULT_MAX_TOKENS);
        // an integer: the chosen token's log probability and this many alternatives (0 = none)
        if (body.hasNonNull("logprobs")) {
            long alternatives = integer(body, "logprobs", 0);
            if (alternatives < 0 || alternatives > MAX_TOP_LOGPROBS) {
                throw OpenAiError.invalid("logprobs", "'logprobs' must be an integer in [0, " + MAX_TOP_LOGPROBS
                        + "], got " + alternatives);
            }
            sampling.setLogprobs(true).setTopLogprobs((int) alternatives);
        }
        return new CompletionRequest(false, model(body), prompts, List.of(), sampling.build(), stream(body),
                includeUsage(body));
    }

    static CompletionRequest chat(JsonNode body) {
        requireObject(body);
        refuseCommon(body);
        for (String tools : List.of("tools", "functions")) {
            if (body.hasNonNull(tools) && !body.get(tools).isEmpty()) {
                throw OpenAiError.unsupported(tools, "'" + tools + "' is not supported: moe-mesh has no tool calling");
            }
        }
        JsonNode format = body.get("response_format");
        if (format != null && !format.isNull() && !"text".equals(format.path("type").asString(""))) {
            throw OpenAiError.unsupported("response_format", "'response_format' must be {\"type\": \"text\"}: "
                    + "moe-mesh has no structured output");
        }
        SamplingParams.Builder sampling = sampling(body, 0);
        // a boolean, with top_logprobs alternatives
        JsonNode logprobs = body.get("logprobs");
        if (logprobs != null && !logprobs.isNull() && !logprobs.isBoolean()) {
            throw OpenAiError.invalid("logprobs", "'logprobs' must be true or false");
        }
        long alternatives = integer(body, "top_logprobs", 0);
        if (alternatives < 0 || alternatives > MAX_TOP_LOGPROBS) {
            throw OpenAiError.invalid("top_logprobs", "'top_logprobs' must be an integer in [0, " + MAX_TOP_LOGPROBS
                    + "], got " + alternatives);
        }
        boolean wanted = logprobs != null && logprobs.asBoolean(false);
        if (alternatives > 0 && !wanted) {
            throw OpenAiError.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true");
        }
        sampling.setLogprobs(wanted).setTopLogprobs((int) alternatives);
        return new CompletionRequest(true, model(body), List.of(), messages(body.get("messages")), sampling.build(),
                stream(body), includeUsage(body));
    }

    private static void requireObject(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw OpenAiError.invalid(null, "the request body must be a JSON object");
        }
    }

    /** What both endpoints refuse: several choices, logit bias, vLLM's repetition penalty. */
    private static void refuseCommon(JsonNode body) {
        if (body.hasNonNull("n") && !isOne(body.get("n"))) {
            throw OpenAiError.unsupported("n", "'n' must be 1: moe-mesh generates one choice per prompt; "
                    + "send several requests (with different seeds) for several choices");
        }
        JsonNode repetition = body.get("repetition_penalty");
        if (repetition != null && !repetition.isNull() && !(repetition.isNumber() && repetition.asDouble() == 1)) {
            throw OpenAiError.unsupported("repetition_penalty", "'repetition_penalty' is not supported: leave it out or 1");
        }
        JsonNode bias = body.get("logit_bias");
        if (bias != null && !bias.isNull() && !bias.isEmpty()) {
            throw OpenAiError.unsupported("logit_bias", "'logit_bias' is not supported");
        }
    }

    private static boolean isOne(JsonNode value) {
        return value.isIntegralNumber() && value.canConvertToLong() && value.asLong() == 1;
    }

    private static String model(JsonNode body) {
        JsonNode model = body.get("model");
        if (model == null || model.isNull()) {
            return "";
        }
        if (!model.isString()) {
            throw OpenAiError.invalid("model", "'model' must be a string");
        }
        return model.asString();
    }

    private static boolean stream(JsonNode body) {
        JsonNode stream = body.get("stream");
        if (stream == null || stream.isNull()) {
            return false;
        }
        if (!stream.isBoolean()) {
            throw OpenAiError.invalid("stream", "'stream' must be true or false");
        }
        return stream.asBoolean();
    }

    private static boolean includeUsage(JsonNode body) {
        JsonNode options = body.get("stream_options");
        if (options == null || options.isNull()) {
            return false;
        }
        if (!stream(body)) {
            throw OpenAiError.invalid("stream_options", "'stream_options' is only allowed when 'stream' is true");
        }
        if (!options.isObject()) {
            throw OpenAiError.invalid("stream_options", "'stream_options' must be an object");
        }
        return flag(options, "include_usage", "stream_options");
    }

    private static List<CompletionRequest.Prompt> prompts(JsonNode prompt) {
        if (prompt == null || prompt.isNull()) {
            throw OpenAiError.invalid("prompt", "'prompt' is required: a string, a list of strings, a list of "
                    + "token ids, or a list of such lists");
        }
        if (prompt.isString()) {
            return List.of(CompletionRequest.Prompt.text(prompt.asString()));
        }
        if (!prompt.isArray() || prompt.isEmpty()) {
            throw OpenAiError.invalid("prompt", "'prompt' must be a string or a non-empty list");
        }
        if (prompt.get(0).isNumber()) {
            return List.of(CompletionRequest.Prompt.ids(tokenIds(prompt, "prompt")));
        }
        if (prompt.size() > MAX_PROMPTS) {
            throw OpenAiError.invalid("prompt", "'prompt' has " + prompt.size() + " prompts; the limit is "
                    + MAX_PROMPTS + " per request");
        }
        List<CompletionRequest.Prompt> prompts = new ArrayList<>();
        for (int i = 0; i < prompt.size(); i++) {
            JsonNode p = prompt.get(i);
            if (p.isString()) {
                prompts.add(CompletionRequest.Prompt.text(p.asString()));
            } else if (p.isArray()) {
                prompts.add(CompletionRequest.Prompt.ids(tokenIds(p, "prompt[" + i + "]")));
            } else {
                throw OpenAiError.invalid("prompt", "prompt[" + i + "] must be a string or a list of token ids");
            }
        }
        return prompts;
    }

    private static List<Integer> tokenIds(JsonNode ids, String name) {
        List<Integer> out = new ArrayList<>(ids.size());
        for (JsonNode id : ids) {
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0) {
                throw OpenAiError.invalid("prompt", name + " must hold token ids (integers >= 0), got " + id);
            }
            out.add(id.asInt());
        }
        return out;
    }

    private static List<ChatMessage> messages(JsonNode messages) {
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw OpenAiError.invalid("messages", "'messages' is required: a non-empty list of {role, content}");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String where = "messages[" + i + "]";
            String role = m.path("role").asString("");
            if (!ROLES.contains(role)) {
                throw role.isEmpty() ? OpenAiError.invalid("messages", where + ".role is required")
                        : OpenAiError.unsupported("messages", where + ".role '" + role + "' is not supported: use "
                                + "system, developer, user or assistant (moe-mesh has no tool calling)");
            }
            out.add(new ChatMessage(role.equals("developer") ? "system" : role, content(m.get("content"), where)));
        }
        return out;
    }

    /** A string, or a list of {@code {"type": "text", "text": ...}} parts (joined); nothing but text. */
    private static String content(JsonNode content, String where) {
        if (content != null && content.isString()) {
            return content.asString();
        }
        if (content == null || !content.isArray()) {
            throw OpenAiError.invalid("messages", where + ".content must be a string or a list of text parts");
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            if (!"text".equals(part.path("type").asString("")) || !part.path("text").isString()) {
                throw OpenAiError.unsupported("messages", where + ".content: only {\"type\": \"text\", \"text\": ...} "
                        + "parts are supported (no images or audio)");
            }
            text.append(part.get("text").asString());
        }
        return text.toString();
    }

    /**
     * OpenAI's defaults where they differ from the gRPC API's: temperature 1 (gRPC: 0 = greedy), a
     * fresh seed per request unless {@code seed} is given (gRPC: seed 0), and, for completions,
     * {@code max_tokens} 16. {@code top_k} (an extension, as in vLLM) of -1 or 0 means no cut.
     */
    private static SamplingParams.Builder sampling(JsonNode body, int defaultMaxTokens) {
        SamplingParams.Builder sampling = SamplingParams.newBuilder();
        double temperature = number(body, "temperature", 1.0);
        if (!(temperature >= 0 && temperature <= 2)) {
            throw OpenAiError.invalid("temperature", "'temperature' must be in [0, 2], got " + temperature);
        }
        sampling.setTemperature((float) temperature);
        double topP = number(body, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) {
            throw OpenAiError.invalid("top_p", "'top_p' must be in (0, 1], got " + topP);
        }
        sampling.setTopP((float) topP);
        long topK = integer(body, "top_k", 0);
        if (topK < -1 || topK > Integer.MAX_VALUE) {
            throw OpenAiError.invalid("top_k", "'top_k' must be -1, 0 (no cut) or a positive integer, got " + topK);
        }
        sampling.setTopK((int) Math.max(0, topK));
        JsonNode seed = body.get("seed");
        sampling.setSeed(seed == null || seed.isNull() ? ThreadLocalRandom.current().nextLong() : integer(body, "seed", 0));
        long maxTokens = maxTokens(body, defaultMaxTokens);
        sampling.setMaxTokens((int) maxTokens);
        sampling.addAllStop(stop(body.get("stop")));
        sampling.setIgnoreEos(flag(body, "ignore_eos", "ignore_eos"));
        // OpenAI's definition, applied by the router to generated tokens; the validator checks [-2, 2]
        sampling.setPresencePenalty((float) number(body, "presence_penalty", 0));
        sampling.setFrequencyPenalty((float) number(body, "frequency_penalty", 0));
        return sampling;
    }

    /** {@code max_completion_tokens} (the newer name) wins over {@code max_tokens}. */
    private static long maxTokens(JsonNode body, int defaultMaxTokens) {
        String field = body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        long maxTokens = integer(body, field, defaultMaxTokens);
        if (body.hasNonNull(field) && (maxTokens < 1 || maxTokens > Integer.MAX_VALUE)) {
            throw OpenAiError.invalid(field, "'" + field + "' must be a positive integer, got " + maxTokens);
        }
        return maxTokens;
    }

    private static List<String> stop(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (stop.isString()) {
            return List.of(stop.asString());
        }
        if (!stop.isArray()) {
            throw OpenAiError.invalid("stop", "'stop' must be a string or a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode s : stop) {
            if (!s.isString()) {
                throw OpenAiError.invalid("stop", "'stop' must be a string or a list of strings");
            }
            out.add(s.asString());
        }
        return out;
    }

    /** A true/false field, false when absent or null; {@code param} names it in a refusal. */
    private static boolean flag(JsonNode node, String field, String param) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw OpenAiError.invalid(param, "'" + field + "' must be true or false");
        }
        return value.asBoolean();
    }

    private static double number(JsonNode body, String field, double absent) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.isNumber()) {
            throw OpenAiError.invalid(field, "'" + field + "' must be a number");
        }
        return value.asDouble();
    }

    private static long integer(JsonNode body, String field, long absent) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw OpenAiError.invalid(field, "'" + field + "' must be an integer");
        }
        return value.asLong();
    }
}
