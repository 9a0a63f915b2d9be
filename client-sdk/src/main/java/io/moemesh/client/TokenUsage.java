package io.moemesh.client;

import java.time.Duration;

/**
 * Token counts and server-side timings of one generation.
 *
 * @param promptTokens      tokens in the prompt after tokenization
 * @param completionTokens  tokens generated
 * @param timeToFirstToken  from admission to the first generated token, measured by the router
 * @param totalTime         from admission to the last generated token, measured by the router
 */
public record TokenUsage(int promptTokens, int completionTokens, Duration timeToFirstToken, Duration totalTime) {
}
