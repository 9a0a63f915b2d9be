package io.moemesh.e2e;

import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.moemesh.testing.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * What the Helm chart mounts into the pods, as files in one directory that every container of a
 * {@link Mesh} sees read-only at {@value #MOUNT}: the internal token the services present to one
 * another, the gateway's API keys, and a CA with the gateway's TLS certificate (named for
 * {@code localhost} and 127.0.0.1, where Testcontainers publishes the ports). The files are readable
 * by everyone because the containers run as uid 10001, not as the test's user.
 */
final class MeshSecrets {

    static final String MOUNT = "/etc/moemesh";

    private final Path dir;
    private final String internalToken;
    private final TestPki pki;

    private MeshSecrets(Path dir, String internalToken, TestPki pki) {
        this.dir = dir;
        this.internalToken = internalToken;
        this.pki = pki;
    }

    /** A fresh token, CA and gateway certificate, and a key file holding {@code apiKeys}. */
    static MeshSecrets create(List<String> apiKeys) {
        try {
            Path dir = Files.createTempDirectory("moemesh-e2e-secrets");
            String token = randomToken();
            Files.writeString(dir.resolve("internal-token"), token + "\n");
            Files.writeString(dir.resolve("api-keys"), "# e2e keys\n" + String.join("\n", apiKeys) + "\n");
            TestPki pki = TestPki.create(dir);
            pki.issue("gateway", "localhost", "127.0.0.1");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
            return new MeshSecrets(dir, token, pki);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path dir() {
        return dir;
    }

    /** The CA that issued the gateway's certificate, for the clients. */
    Path caFile() {
        return pki.caCertFile();
    }

    /** Every internal service, and the gateway as the routers' client: the token file. */
    List<String> internalAuthArguments() {
        return List.of("--moemesh.auth.internal-token-file=" + MOUNT + "/internal-token");
    }

    /** The gateway: keys from the file, TLS on its public port. */
    List<String> gatewayArguments() {
        return List.of("--moemesh.gateway.api-keys-file=" + MOUNT + "/api-keys",
                "--moemesh.tls.cert-file=" + MOUNT + "/gateway.crt", "--moemesh.tls.key-file=" + MOUNT + "/gateway.key");
    }

    /** For a test's own calls to internal services: the token as a bearer header. */
    ClientInterceptor internalCredentials() {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + internalToken);
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    private static String randomToken() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
