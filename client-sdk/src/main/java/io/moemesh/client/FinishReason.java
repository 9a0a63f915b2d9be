package io.moemesh.client;

/** Why a generation stopped. */
public enum FinishReason {
    /** The server did not say (an older server, or a response this SDK does not know). */
    UNSPECIFIED,
    /** {@code maxTokens} tokens were generated. */
    LENGTH,
    /** The model produced its end-of-sequence token. */
    EOS,
    /** The text reached one of the stop strings. */
    STOP
}
