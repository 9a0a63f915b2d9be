package io.moemesh.proto.validation;

/**
 * What one Generate request may ask for, and the defaults filled in for zero values.
 *
 * @param maxPromptBytes   largest prompt text, in UTF-8 bytes
 * @param maxPromptTokens  most token ids in a pre-tokenized prompt
 * @param maxTokensLimit   largest {@code sampling.max_tokens}
 * @param defaultMaxTokens {@code sampling.max_tokens} sent to the router when the caller sends 0
 * @param maxStopStrings   most stop strings
 */
public record RequestLimits(
        int maxPromptBytes, int maxPromptTokens, int maxTokensLimit, int defaultMaxTokens, int maxStopStrings) {

    /** Longest request id and model name, in characters: they go into logs and metric exemplars. */
    public static final int MAX_ID_LENGTH = 128;
    /** Longest stop string, in characters. */
    public static final int MAX_STOP_LENGTH = 256;
}
