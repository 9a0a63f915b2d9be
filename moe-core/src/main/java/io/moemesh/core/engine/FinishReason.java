package io.moemesh.core.engine;

/** Why a sequence stopped generating. */
public enum FinishReason {
    /** It produced {@code max_tokens} tokens (or filled the model's context). */
    LENGTH,
    /** It produced the model's end-of-sequence token. */
    EOS,
    /** Its text reached a stop string. */
    STOP
}
