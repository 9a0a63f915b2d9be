package io.moemesh.proto.validation;

/**
 * What one Generate request may ask for, and the defaults filled in for zero values. The
 * {@code DEFAULT_*} constants are the one home of the limits' defaults: the gateway
 * ({@code moemesh.gateway.*}) and the router ({@code moemesh.router.*}) both check requests with
 * {@link GenerateRequestValidator}, and start with the same limits unless configured apart.
 *
 * @param maxPromptBytes   largest prompt text, in UTF-8 bytes
 * @param maxPromptTokens  most token ids in a pre-tokenized prompt
 * @param maxTokensLimit   largest {@code sampling.max_tokens}
 * @param defaultMaxTokens {@code sampling.max_tokens} sent to the router when the caller sends 0
 * @param maxStopStrings   most stop strings
 */
public record RequestLimits(
        int maxPromptBytes, int maxPromptTokens, int maxTokensLimit, int defaultMaxTokens, int maxStopStrings) {

    public static final int DEFAULT_MAX_PROMPT_BYTES = 32_768;
    public static final int DEFAULT_MAX_PROMPT_TOKENS = 8_192;
    public static final int DEFAULT_MAX_TOKENS_LIMIT = 2_048;
    public static final int DEFAULT_MAX_TOKENS = 256;
    public static final int DEFAULT_MAX_STOP_STRINGS = 8;

    /** The limits a gateway or router started without these settings has. */
    public static final RequestLimits DEFAULTS = new RequestLimits(DEFAULT_MAX_PROMPT_BYTES, DEFAULT_MAX_PROMPT_TOKENS,
            DEFAULT_MAX_TOKENS_LIMIT, DEFAULT_MAX_TOKENS, DEFAULT_MAX_STOP_STRINGS);

    /** Longest request id and model name, in characters: they go into logs and metric exemplars. */
    public static final int MAX_ID_LENGTH = 128;
    /** Longest stop string, in characters. */
    public static final int MAX_STOP_LENGTH = 256;
}
