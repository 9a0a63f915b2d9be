package io.moemesh.gateway.openai;

import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.SamplingParams;
import io.moemesh.proto.v1.TokenIds;
import java.util.List;

/**
 * One {@code /v1/completions} or {@code /v1/chat/completions} request, read and checked
 * ({@link OpenAiRequests}): the prompts (completions; several make several choices) or the messages
 * (chat), the sampling parameters as the gRPC API takes them, and how to answer.
 *
 * @param model        as asked; empty = the deployment's default model
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with the usage
 */
record CompletionRequest(boolean chat, String model, List<Prompt> prompts, List<ChatMessage> messages,
        SamplingParams sampling, boolean stream, boolean includeUsage) {

    /** One prompt: text, or token ids when {@code text} is null. */
    record Prompt(String text, List<Integer> ids) {

        static Prompt text(String text) {
            return new Prompt(text, null);
        }

        static Prompt ids(List<Integer> ids) {
            return new Prompt(null, List.copyOf(ids));
        }
    }

    /** The gRPC request for one prompt, for the model {@code model} (resolved: never empty). */
    static GenerateRequest generateRequest(String model, Prompt prompt, SamplingParams sampling, String requestId) {
        GenerateRequest.Builder request = GenerateRequest.newBuilder().setModel(model).setSampling(sampling)
                .setRequestId(requestId);
        if (prompt.text() != null) {
            request.setPrompt(prompt.text());
        } else {
            request.setPromptIds(TokenIds.newBuilder().addAllIds(prompt.ids()));
        }
        return request.build();
    }
}
