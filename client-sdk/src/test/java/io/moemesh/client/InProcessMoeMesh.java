package io.moemesh.client;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;

/** A {@link FakeMoeMesh} served in process, and a channel to it. */
final class InProcessMoeMesh implements AutoCloseable {

    final FakeMoeMesh fake = new FakeMoeMesh();
    final ManagedChannel channel;
    private final Server server;

    InProcessMoeMesh() {
        String name = InProcessServerBuilder.generateName();
        try {
            server = InProcessServerBuilder.forName(name).directExecutor()
                    .addService(ServerInterceptors.intercept(fake, fake)).build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    MoeMeshClient client() {
        return MoeMeshClient.builder().channel(channel).build();
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.shutdownNow();
    }
}
