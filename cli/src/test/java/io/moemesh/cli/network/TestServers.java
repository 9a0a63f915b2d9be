package io.moemesh.cli.network;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/** Loopback servers for the proxy to forward to: an echo, and a sink that answers how many bytes it got. */
final class TestServers implements AutoCloseable {

    private final List<ServerSocket> servers = new ArrayList<>();

    int echo() throws IOException {
        return serve(s -> s.getInputStream().transferTo(s.getOutputStream()));
    }

    int sink() throws IOException {
        return serve(s -> {
            long n = 0;
            byte[] buffer = new byte[65536];
            InputStream in = s.getInputStream();
            for (int r; (r = in.read(buffer)) >= 0; ) {
                n += r;
            }
            new DataOutputStream(s.getOutputStream()).writeLong(n);
        });
    }

    private interface Handler {
        void handle(Socket s) throws IOException;
    }

    private int serve(Handler handler) throws IOException {
        ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        servers.add(server);
        Thread.ofPlatform().daemon().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread.ofPlatform().daemon().start(() -> {
                        try (s) {
                            handler.handle(s);
                        } catch (IOException ignored) {
                            // the test closed its side
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        return server.getLocalPort();
    }

    @Override
    public void close() {
        servers.forEach(EmulatedNetwork::closeQuietly);
    }
}
