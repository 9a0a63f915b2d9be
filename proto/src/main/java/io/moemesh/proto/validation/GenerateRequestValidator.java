package io.moemesh.proto.validation;

import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.SamplingParams;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;

/**
 * Checks every field of a Generate request against {@link RequestLimits} and fills the defaults the
 * router should see: {@code max_tokens}, {@code top_p} and {@code request_id}. Field names in the
 * messages are the protocol's ({@code sampling.top_p}), so a caller of any SDK can find them.
 *
 * <p>Shared by the gateway (the public edge) and the router (whose public port internal callers
 * reach without a gateway), so that both refuse the same requests with the same words. Pure
 * protobuf: no framework, the limits come in through the constructor.
 */
public final class GenerateRequestValidator {

    /** OpenAI's ranges: penalties in [-2, 2], at most 20 alternatives per token. */
    private static final float MAX_PENALTY = 2f;
    private static final int MAX_TOP_LOGPROBS = 20;

    private final RequestLimits limits;
    private final Supplier<String> requestIds;

    public GenerateRequestValidator(RequestLimits limits, Supplier<String> requestIds) {
        this.limits = limits;
        this.requestIds = requestIds;
    }

    /** The request to forward, with defaults filled in; throws {@link InvalidRequestException} naming the field. */
    public GenerateRequest validated(GenerateRequest request) {
        checkInput(request);
        checkIdentifier("model", request.getModel(), false);
        checkIdentifier("request_id", request.getRequestId(), true);
        SamplingParams sampling = validatedSampling(request.getSampling());
        String requestId = request.getRequestId().isEmpty() ? requestIds.get() : request.getRequestId();
        return request.toBuilder().setSampling(sampling).setRequestId(requestId).build();
    }

    private void checkInput(GenerateRequest request) {
        switch (request.getInputCase()) {
            case PROMPT -> checkPrompt(request.getPrompt());
            case PROMPT_IDS -> checkPromptIds(request.getPromptIds().getIdsList());
            case INPUT_NOT_SET -> throw invalid("prompt is empty: send prompt text or prompt_ids");
        }
    }

    private void checkPrompt(String prompt) {
        if (prompt.isEmpty()) {
            throw invalid("prompt is empty: send prompt text or prompt_ids");
        }
        int bytes = prompt.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > limits.maxPromptBytes()) {
            throw invalid("prompt is " + bytes + " bytes in UTF-8; the limit is " + limits.maxPromptBytes());
        }
    }

    private void checkPromptIds(List<Integer> ids) {
        if (ids.isEmpty()) {
            throw invalid("prompt_ids is empty: send at least one token id, or prompt text");
        }
        if (ids.size() > limits.maxPromptTokens()) {
            throw invalid("prompt_ids has " + ids.size() + " tokens; the limit is " + limits.maxPromptTokens());
        }
        for (int i = 0; i < ids.size(); i++) {
            if (ids.get(i) < 0) {
                throw invalid("prompt_ids[" + i + "] is " + ids.get(i) + "; token ids must be >= 0");
            }
        }
    }

    private SamplingParams validatedSampling(SamplingParams sampling) {
        float temperature = sampling.getTemperature();
        if (!Float.isFinite(temperature) || temperature < 0) {
            throw invalid("sampling.temperature must be a finite number >= 0 (0 = greedy), got " + temperature);
        }
        if (sampling.getTopK() < 0) {
            throw invalid("sampling.top_k must be >= 0 (0 = no top-k cut), got " + sampling.getTopK());
        }
        float topP = sampling.getTopP();
        if (!(topP >= 0 && topP <= 1)) {
            throw invalid("sampling.top_p must be in [0, 1] (0 = 1), got " + topP);
        }
        int maxTokens = sampling.getMaxTokens();
        if (maxTokens < 0) {
            throw invalid("sampling.max_tokens must be >= 0 (0 = the default, " + limits.defaultMaxTokens() + "), got "
                    + maxTokens);
        }
        if (maxTokens > limits.maxTokensLimit()) {
            throw invalid("sampling.max_tokens is " + maxTokens + "; the limit is " + limits.maxTokensLimit());
        }
        checkStop(sampling.getStopList());
        checkPenalty("sampling.presence_penalty", sampling.getPresencePenalty());
        checkPenalty("sampling.frequency_penalty", sampling.getFrequencyPenalty());
        checkTopLogprobs(sampling);
        return sampling.toBuilder()
                .setTopP(topP == 0 ? 1 : topP)
                .setMaxTokens(maxTokens == 0 ? limits.defaultMaxTokens() : maxTokens)
                .build();
    }

    private void checkStop(List<String> stop) {
        if (stop.size() > limits.maxStopStrings()) {
            throw invalid("sampling.stop has " + stop.size() + " strings; the limit is " + limits.maxStopStrings());
        }
        for (int i = 0; i < stop.size(); i++) {
            String s = stop.get(i);
            if (s.isEmpty()) {
                throw invalid("sampling.stop[" + i + "] is empty: remove it or give a non-empty string");
            }
            if (s.length() > RequestLimits.MAX_STOP_LENGTH) {
                throw invalid("sampling.stop[" + i + "] is " + s.length() + " characters; the limit is "
                        + RequestLimits.MAX_STOP_LENGTH);
            }
        }
    }

    private static void checkPenalty(String field, float penalty) {
        if (!(penalty >= -MAX_PENALTY && penalty <= MAX_PENALTY)) { // NaN fails both
            throw invalid(field + " must be in [-2, 2] (0 = off), got " + penalty);
        }
    }

    private static void checkTopLogprobs(SamplingParams sampling) {
        int top = sampling.getTopLogprobs();
        if (top < 0 || top > MAX_TOP_LOGPROBS) {
            throw invalid("sampling.top_logprobs must be in [0, " + MAX_TOP_LOGPROBS + "], got " + top);
        }
        if (top > 0 && !sampling.getLogprobs()) {
            throw invalid("sampling.top_logprobs is " + top + " but sampling.logprobs is false: set logprobs to get "
                    + "alternatives");
        }
    }

    /** Model names and request ids end up in logs: bounded, and without spaces or control characters. */
    private static void checkIdentifier(String field, String value, boolean emptyMeansGenerated) {
        if (value.length() > RequestLimits.MAX_ID_LENGTH) {
            throw invalid(field + " is " + value.length() + " characters; the limit is " + RequestLimits.MAX_ID_LENGTH);
        }
        if (!value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw invalid(field + " must be printable ASCII without spaces" + (emptyMeansGenerated
                    ? " (or empty, and one is generated)" : ""));
        }
    }

    private static InvalidRequestException invalid(String message) {
        return new InvalidRequestException(message);
    }
}
