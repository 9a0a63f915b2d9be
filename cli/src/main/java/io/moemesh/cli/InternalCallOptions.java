package io.moemesh.cli;

import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * How a command reaches an internal service of a cluster (the placement controller): TLS with the
 * mesh CA and a client certificate when the services use mTLS, and the shared internal token when
 * they use token authentication ({@code moemesh.auth.internal-token-file}). The local cluster of
 * {@code moe up} needs neither: its internal services listen on 127.0.0.1 without authentication.
 */
final class InternalCallOptions {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--internal-token-file", paramLabel = "FILE", description = "File with the cluster's internal "
            + "token (the Secret of security.internalToken.existingSecret), sent as `authorization: Bearer`.")
    Path internalTokenFile;

    @Option(names = "--tls", description = "Speak TLS, trusting the JVM's certificate authorities.")
    boolean tls;

    @Option(names = "--ca-cert", paramLabel = "FILE",
            description = "Speak TLS, trusting the CA certificates in this PEM file (the mesh CA's ca.crt); implies --tls.")
    Path caCert;

    @Option(names = "--server-name", paramLabel = "NAME", description = "Host name the server's certificate must "
            + "carry when it differs from the address, e.g. through kubectl port-forward; with --tls or --ca-cert only.")
    String serverName;

    @Option(names = "--client-cert", paramLabel = "FILE",
            description = "Client certificate chain (PEM) for mTLS, e.g. the mesh certificate of an admin; with --client-key.")
    Path clientCert;

    @Option(names = "--client-key", paramLabel = "FILE", description = "Private key (PKCS#8 PEM) of --client-cert.")
    Path clientKey;

    /** A channel to {@code target} with these options; the token, if any, is attached to every call. */
    ManagedChannel open(String target) {
        if (clientCert != null ^ clientKey != null) {
            throw new ParameterException(spec.commandLine(), "--client-cert and --client-key go together");
        }
        boolean secure = tls || caCert != null || clientCert != null;
        if (serverName != null && !secure) {
            throw new ParameterException(spec.commandLine(), "--server-name needs TLS (--tls or --ca-cert FILE): it is "
                    + "the name the server's certificate must carry");
        }
        var builder = Grpc.newChannelBuilder(target, secure ? tlsCredentials() : InsecureChannelCredentials.create());
        if (serverName != null) {
            builder.overrideAuthority(serverName);
        }
        return builder.build();
    }

    /** The token as call credentials, or null without {@code --internal-token-file}. */
    CallCredentials token() {
        if (internalTokenFile == null) {
            return null;
        }
        String token;
        try {
            token = Files.readString(internalTokenFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "cannot read --internal-token-file " + internalTokenFile
                    + ": " + e.getMessage());
        }
        if (token.isEmpty() || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new ParameterException(spec.commandLine(), "--internal-token-file " + internalTokenFile
                    + " must hold the token: one line of printable characters without spaces");
        }
        return new BearerToken("Bearer " + token);
    }

    private ChannelCredentials tlsCredentials() {
        TlsChannelCredentials.Builder credentials = TlsChannelCredentials.newBuilder();
        try {
            if (caCert != null) {
                credentials.trustManager(caCert.toFile());
            }
            if (clientCert != null) {
                credentials.keyManager(clientCert.toFile(), clientKey.toFile());
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "cannot load TLS files (--ca-cert " + caCert
                    + ", --client-cert " + clientCert + ", --client-key " + clientKey + "): " + e.getMessage()
                    + " (PEM expected; the private key in PKCS#8)");
        }
        return credentials.build();
    }

    /** The internal token on every call (the internal services read it as the gateway's API key is read). */
    private static final class BearerToken extends CallCredentials {
        private final String headerValue;

        BearerToken(String headerValue) {
            this.headerValue = headerValue;
        }

        @Override
        public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
            Metadata headers = new Metadata();
            headers.put(AUTHORIZATION, headerValue);
            applier.apply(headers);
        }
    }
}
