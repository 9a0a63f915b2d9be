package io.moemesh.client;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import java.io.IOException;
import java.io.UncheckedIOException;

/** A {@link FakeMoeMesh} on a real plaintext TCP port: the transport reports security level NONE. */
final class SocketMoeMesh implements AutoCloseable {

    final FakeMoeMesh fake = new FakeMoeMesh();
    private final Server server;

    SocketMoeMesh() {
        try {
            server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                    .addService(ServerInterceptors.intercept(fake, fake)).build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
