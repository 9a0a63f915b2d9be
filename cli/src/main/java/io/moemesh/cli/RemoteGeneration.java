package io.moemesh.cli;

import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationListener;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.client.MoeMeshException;
import io.moemesh.client.TextChunk;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Runs one generation against a gateway through the client SDK, streaming text to {@code out}. */
final class RemoteGeneration {

    private RemoteGeneration() {
    }

    static GenerationResult stream(MoeMeshClient client, GenerateOptions options, PrintWriter out) {
        CompletableFuture<GenerationResult> done = new CompletableFuture<>();
        client.stream(options, new GenerationListener() {
            @Override
            public void onChunk(TextChunk chunk) {
                out.print(chunk.text());
                out.flush();
            }

            @Override
            public void onComplete(GenerationResult result) {
                done.complete(result);
            }

            @Override
            public void onError(MoeMeshException error) {
                done.completeExceptionally(error);
            }
        });
        try {
            return done.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    static MoeMeshClient connect(String target, String apiKey) {
        MoeMeshClient.Builder builder = MoeMeshClient.builder().target(target).defaultDeadline(Duration.ofMinutes(5));
        if (apiKey != null && !apiKey.isBlank()) {
            builder.apiKey(apiKey);
        }
        return builder.build();
    }
}
