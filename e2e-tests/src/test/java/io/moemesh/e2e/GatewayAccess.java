package io.moemesh.e2e;

import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.moemesh.client.ApiKeyCredentials;
import io.moemesh.client.MoeMeshClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.testcontainers.containers.GenericContainer;

/**
 * How a test reaches a gateway container: its published address, the API key the test configured it
 * with (null: none), and the CA that issued its TLS certificate (null: plaintext; the certificate must
 * name the host of the published port, {@code localhost} here). Without TLS the key goes over
 * plaintext to a loopback address only, which is where Testcontainers publishes the ports.
 */
record GatewayAccess(String target, String apiKey, Path caFile) {

    static GatewayAccess of(GenericContainer<?> gateway, String apiKey) {
        return new GatewayAccess(Mesh.target(gateway), apiKey, null);
    }

    GatewayAccess withTls(Path caFile) {
        return new GatewayAccess(target, apiKey, caFile);
    }

    GatewayAccess withKey(String otherKey) {
        return new GatewayAccess(target, otherKey, caFile);
    }

    /** An SDK client of this gateway; set the deadline and build. */
    MoeMeshClient.Builder client() {
        MoeMeshClient.Builder client = MoeMeshClient.builder().target(target);
        if (caFile != null) {
            client.tls(caFile);
        } else {
            client.allowKeyOverPlaintext();
        }
        return apiKey == null ? client : client.apiKey(apiKey);
    }

    /** A raw channel to the gateway (TLS when there is a CA); send {@link #credentials()} on its calls. */
    ManagedChannel channel() {
        return Grpc.newChannelBuilder(target, channelCredentials()).build();
    }

    /** The key as call credentials for raw stubs ({@code stub.withCallCredentials}), null without a key. */
    CallCredentials credentials() {
        if (apiKey == null) {
            return null;
        }
        ApiKeyCredentials key = ApiKeyCredentials.of(apiKey);
        return caFile != null ? key : key.allowingPlaintextToLoopback();
    }

    private ChannelCredentials channelCredentials() {
        if (caFile == null) {
            return InsecureChannelCredentials.create();
        }
        try {
            return TlsChannelCredentials.newBuilder().trustManager(caFile.toFile()).build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CA " + caFile, e);
        }
    }
}
