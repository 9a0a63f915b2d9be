package io.moemesh.cli;

import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.GenerationStream;
import io.moemesh.client.MoeMeshClient;
import java.io.PrintWriter;
import java.time.Duration;

/** Runs one generation against a gateway through the client SDK, streaming text to {@code out}. */
final class RemoteGeneration {

    private RemoteGeneration() {
    }

    static GenerationResult stream(MoeMeshClient client, GenerateOptions options, PrintWriter out) {
        try (GenerationStream stream = client.stream(options)) {
            while (stream.hasNext()) {
                out.print(stream.next().text());
                out.flush();
            }
            return stream.result();
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
