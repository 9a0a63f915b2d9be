package io.moemesh.core.engine;

/** The outcome of one request: the prompt's token ids, the generated ids, their text and why it ended. */
public record Generation(int[] promptIds, int[] tokenIds, String text, FinishReason finishReason) {
}
