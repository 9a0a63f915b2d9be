package io.moemesh.cli;

import io.moemesh.cli.local.ClusterState;
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

    /**
     * A client of the gateway of a local cluster, with its key; over plaintext, which the SDK allows
     * because that gateway listens on 127.0.0.1 (to any other address it would refuse to send the key).
     */
    static MoeMeshClient connect(ClusterState cluster) {
        return MoeMeshClient.builder().target(cluster.gateway()).apiKey(cluster.readApiKey()).allowKeyOverPlaintext()
                .defaultDeadline(Duration.ofMinutes(5)).build();
    }
}
