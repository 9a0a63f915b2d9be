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
import picocli.CommandLine.Mixin;
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

    @Mixin
    TlsOptions tls;

    /** A channel to {@code target} with these options; the token, if any, is attached to every call. */
    ManagedChannel open(String target) {
        tls.check();
        var builder = Grpc.newChannelBuilder(target, tls.secure() ? tlsCredentials() : InsecureChannelCredentials.create());
        if (tls.serverName != null) {
            builder.overrideAuthority(tls.serverName);
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
            if (tls.caCert != null) {
                credentials.trustManager(tls.caCert.toFile());
            }
            if (tls.clientCert != null) {
                credentials.keyManager(tls.clientCert.toFile(), tls.clientKey.toFile());
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "cannot load TLS files (--ca-cert " + tls.caCert
                    + ", --client-cert " + tls.clientCert + ", --client-key " + tls.clientKey + "): " + e.getMessage()
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
