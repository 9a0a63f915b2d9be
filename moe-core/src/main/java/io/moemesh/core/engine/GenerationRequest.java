package io.moemesh.core.engine;

import java.util.Objects;

/** One prompt to continue and how to sample it. */
public record GenerationRequest(String prompt, SamplingParams params) {

    public GenerationRequest {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(params, "params");
    }
}
