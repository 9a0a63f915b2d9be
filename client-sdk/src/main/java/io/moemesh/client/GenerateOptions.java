package io.moemesh.client;

import java.time.Duration;
import java.util.List;

/**
 * What to generate and how. Build one with {@link #builder()}; zero values mean "the server's
 * default" as in the protocol. The server checks every value and answers an invalid one with an
 * {@link InvalidRequestException} naming the field. This record refuses, with an
 * {@link IllegalArgumentException}, only what is wrong whatever the server: prompt and token ids
 * together, a deadline that is not positive, and the protocol's fixed ranges of the penalties and
 * {@code topLogprobs} (the same ranges and words as the gateway's check, so a request fails the same
 * way before it is sent as it would after).
 *
 * @param prompt      prompt text, tokenized by the server; null when {@code promptIds} is given
 * @param promptIds   an already tokenized prompt; null when {@code prompt} is given
 * @param model       model name; empty means the deployment's default model
 * @param temperature sampling temperature; 0 is greedy decoding
 * @param topK        sample among the k most likely tokens; 0 means no cut
 * @param topP        nucleus threshold in (0, 1]; 0 means 1
 * @param seed        sampling seed; the same seed, prompt and options give the same tokens
 * @param maxTokens   most tokens to generate; 0 means the server's default
 * @param stop        strings that end generation when the text reaches one
 * @param ignoreEos   keep generating past the end-of-sequence token
 * @param requestId   id shown in the server's logs and metrics; empty means the server makes one
 * @param deadline    how long the whole call may take; null means the client's default deadline
 * @param refusePrunedExperts fail (FAILED_PRECONDITION, naming the expert) rather than be served by the
 *                    next-best expert when a token wants an expert the placement controller has pruned
 * @param presencePenalty  OpenAI's presence penalty in [-2, 2], 0 = off: before each token is sampled, every
 *                    token already generated (not the prompt) has its logit lowered by this much
 * @param frequencyPenalty OpenAI's frequency penalty in [-2, 2], 0 = off: every token already generated has its
 *                    logit lowered by this times the number of times it was generated
 * @param logprobs    return each generated token's log probability ({@link TextChunk#logprobs()},
 *                    {@link GenerationResult#logprobs()})
 * @param topLogprobs with {@code logprobs}, also this many of the most likely tokens at each position, in [0, 20]
 */
public record GenerateOptions(
        String prompt,
        List<Integer> promptIds,
        String model,
        float temperature,
        int topK,
        float topP,
        long seed,
        int maxTokens,
        List<String> stop,
        boolean ignoreEos,
        String requestId,
        Duration deadline,
        boolean refusePrunedExperts,
        float presencePenalty,
        float frequencyPenalty,
        boolean logprobs,
        int topLogprobs) {

    /** OpenAI's ranges, as the protocol states them (and the gateway's validator checks them). */
    private static final float MAX_PENALTY = 2f;
    private static final int MAX_TOP_LOGPROBS = 20;

    public GenerateOptions {
        if (prompt != null && promptIds != null) {
            throw new IllegalArgumentException("give either prompt or promptIds, not both");
        }
        promptIds = promptIds == null ? null : List.copyOf(promptIds);
        model = model == null ? "" : model;
        stop = stop == null ? List.of() : List.copyOf(stop);
        requestId = requestId == null ? "" : requestId;
        if (deadline != null && (deadline.isNegative() || deadline.isZero())) {
            throw new IllegalArgumentException("deadline must be positive, got " + deadline);
        }
        checkPenalty("presencePenalty (sampling.presence_penalty)", presencePenalty);
        checkPenalty("frequencyPenalty (sampling.frequency_penalty)", frequencyPenalty);
        if (topLogprobs < 0 || topLogprobs > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException("topLogprobs (sampling.top_logprobs) must be in [0, " + MAX_TOP_LOGPROBS
                    + "], got " + topLogprobs);
        }
        if (topLogprobs > 0 && !logprobs) {
            throw new IllegalArgumentException("topLogprobs (sampling.top_logprobs) is " + topLogprobs
                    + " but logprobs (sampling.logprobs) is false: set logprobs to get alternatives");
        }
    }

    /** The options without penalties and log probabilities: the shape this record had before them. */
    public GenerateOptions(String prompt, List<Integer> promptIds, String model, float temperature, int topK,
            float topP, long seed, int maxTokens, List<String> stop, boolean ignoreEos, String requestId,
            Duration deadline, boolean refusePrunedExperts) {
        this(prompt, promptIds, model, temperature, topK, topP, seed, maxTokens, stop, ignoreEos, requestId, deadline,
                refusePrunedExperts, 0f, 0f, false, 0);
    }

    private static void checkPenalty(String option, float penalty) {
        if (!(penalty >= -MAX_PENALTY && penalty <= MAX_PENALTY)) { // NaN fails both
            throw new IllegalArgumentException(option + " must be in [-2, 2] (0 = off), got " + penalty);
        }
    }

    /** Options for a text prompt with every other value at the server's default. */
    public static GenerateOptions ofPrompt(String prompt) {
        return builder().prompt(prompt).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        Builder builder = new Builder().model(model).temperature(temperature).topK(topK).topP(topP).seed(seed)
                .maxTokens(maxTokens).stop(stop).ignoreEos(ignoreEos).requestId(requestId).deadline(deadline)
                .refusePrunedExperts(refusePrunedExperts).presencePenalty(presencePenalty)
                .frequencyPenalty(frequencyPenalty).logprobs(logprobs).topLogprobs(topLogprobs);
        return promptIds != null ? builder.promptIds(promptIds) : builder.prompt(prompt);
    }

    /** Builds {@link GenerateOptions}; setting a prompt clears token ids and the other way round. */
    public static final class Builder {
        private String prompt;
        private List<Integer> promptIds;
        private String model = "";
        private float temperature;
        private int topK;
        private float topP;
        private long seed;
        private int maxTokens;
        private List<String> stop = List.of();
        private boolean ignoreEos;
        private String requestId = "";
        private Duration deadline;
        private boolean refusePrunedExperts;
        private float presencePenalty;
        private float frequencyPenalty;
        private boolean logprobs;
        private int topLogprobs;

        private Builder() {
        }

        public Builder prompt(String prompt) {
            this.prompt = prompt;
            this.promptIds = null;
            return this;
        }

        public Builder promptIds(List<Integer> promptIds) {
            this.promptIds = promptIds;
            this.prompt = null;
            return this;
        }

        public Builder model(String model) {
            this.model = model;
            return this;
        }

        public Builder temperature(float temperature) {
            this.temperature = temperature;
            return this;
        }

        public Builder topK(int topK) {
            this.topK = topK;
            return this;
        }

        public Builder topP(float topP) {
            this.topP = topP;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder maxTokens(int maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        public Builder stop(List<String> stop) {
            this.stop = stop;
            return this;
        }

        public Builder stop(String... stop) {
            return stop(List.of(stop));
        }

        public Builder ignoreEos(boolean ignoreEos) {
            this.ignoreEos = ignoreEos;
            return this;
        }

        public Builder requestId(String requestId) {
            this.requestId = requestId;
            return this;
        }

        public Builder deadline(Duration deadline) {
            this.deadline = deadline;
            return this;
        }

        /**
         * Fail rather than be served by a stand-in when one of the request's tokens wants an expert the
         * placement controller pruned; retry without it, or once the expert is restored.
         */
        public Builder refusePrunedExperts(boolean refusePrunedExperts) {
            this.refusePrunedExperts = refusePrunedExperts;
            return this;
        }

        /** In [-2, 2], 0 = off: lowers the logit of every token already generated by this much (OpenAI's). */
        public Builder presencePenalty(float presencePenalty) {
            this.presencePenalty = presencePenalty;
            return this;
        }

        /** In [-2, 2], 0 = off: lowers the logit of every token already generated by this per occurrence (OpenAI's). */
        public Builder frequencyPenalty(float frequencyPenalty) {
            this.frequencyPenalty = frequencyPenalty;
            return this;
        }

        /** Return each generated token's log probability with its chunk and in the result. */
        public Builder logprobs(boolean logprobs) {
            this.logprobs = logprobs;
            return this;
        }

        /** With {@link #logprobs(boolean)}, also this many of the most likely tokens at each position, in [0, 20]. */
        public Builder topLogprobs(int topLogprobs) {
            this.topLogprobs = topLogprobs;
            return this;
        }

        /** The options; throws {@link IllegalArgumentException} naming the option when one is out of its range. */
        public GenerateOptions build() {
            return new GenerateOptions(prompt, promptIds, model, temperature, topK, topP, seed, maxTokens, stop,
                    ignoreEos, requestId, deadline, refusePrunedExperts, presencePenalty, frequencyPenalty, logprobs,
                    topLogprobs);
        }
    }
}
