package io.moemesh.client;

import io.grpc.CallCredentials;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Sends an API key as {@code authorization: Bearer <key>}, but only over a connection that is
 * encrypted and authenticated (TLS, or an in-process channel). Over plaintext the call fails with
 * UNAUTHENTICATED before anything is sent, unless plaintext was allowed explicitly: to loopback
 * addresses ({@link #allowingPlaintextToLoopback()}, for a gateway on the same machine such as
 * {@code moe up}'s) or to any host ({@link #allowingPlaintextToAnyHost()}, when something outside
 * gRPC encrypts the connection, like a service-mesh sidecar or a VPN).
 *
 * <p>{@link MoeMeshClient.Builder#apiKey(String)} uses this; it is public so that code calling the
 * API through its own gRPC stubs gets the same guard:
 * {@code stub.withCallCredentials(ApiKeyCredentials.of(key))}.
 */
public final class ApiKeyCredentials extends CallCredentials {

    /** The header the gateway reads the key from. */
    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    /** Where the key may go over a connection without TLS. */
    enum Plaintext { REFUSE, LOOPBACK, ANY_HOST }

    private final String headerValue;
    private final Plaintext plaintext;

    private ApiKeyCredentials(String headerValue, Plaintext plaintext) {
        this.headerValue = headerValue;
        this.plaintext = plaintext;
    }

    /** The key, sent over TLS only. */
    public static ApiKeyCredentials of(String apiKey) {
        if (apiKey == null || apiKey.isBlank()) {
            throw new IllegalArgumentException("apiKey must not be blank");
        }
        if (!apiKey.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("apiKey must be printable ASCII without spaces");
        }
        return new ApiKeyCredentials("Bearer " + apiKey, Plaintext.REFUSE);
    }

    /** The first key in {@code file}, sent over TLS only; see {@link #readKeyFile(Path)}. */
    public static ApiKeyCredentials fromFile(Path file) {
        return of(readKeyFile(file));
    }

    /**
     * The first key in a key file, in the gateway's format ({@code moemesh.gateway.api-keys-file}): one
     * key per line, blank lines and {@code #} comments ignored. {@code moe up} writes its key so.
     */
    public static String readKeyFile(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the API key file " + file + ": " + e, e);
        }
        return lines.stream().map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#")).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no API key in " + file
                        + " (one key per line; blank lines and # comments are ignored)"));
    }

    /**
     * The same key, also sent without TLS when the connection's remote address is a loopback address
     * (127.0.0.0/8, {@code ::1}; a target of {@code localhost} resolves to one): the connection never
     * leaves the machine.
     */
    public ApiKeyCredentials allowingPlaintextToLoopback() {
        return new ApiKeyCredentials(headerValue, Plaintext.LOOPBACK);
    }

    /**
     * The same key, sent without TLS to any host. Anyone on the network path can read it, so use this
     * only when the connection is encrypted outside gRPC (a service-mesh sidecar, a VPN, an SSH tunnel).
     */
    public ApiKeyCredentials allowingPlaintextToAnyHost() {
        return new ApiKeyCredentials(headerValue, Plaintext.ANY_HOST);
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor appExecutor, MetadataApplier applier) {
        SocketAddress remote = info.getTransportAttrs().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        String refusal = refusal(info.getSecurityLevel(), info.getAuthority(), remote);
        if (refusal != null) {
            // failing here ends the call before its headers are written: the key never leaves the process
            applier.fail(Status.UNAUTHENTICATED.withDescription(refusal));
            return;
        }
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, headerValue);
        applier.apply(headers);
    }

    /**
     * Why the key may not go to {@code authority} at {@code remote} over a connection of this security
     * level; null if it may. Loopback is judged by the address the connection actually reached, never by
     * the authority: that is only a name the caller chose (a server-name override can say
     * {@code localhost} for a remote host).
     */
    String refusal(SecurityLevel level, String authority, SocketAddress remote) {
        if (level == SecurityLevel.PRIVACY_AND_INTEGRITY || plaintext == Plaintext.ANY_HOST
                || (plaintext == Plaintext.LOOPBACK && isLoopback(remote))) {
            return null;
        }
        String refused = "not sending the API key to " + authority + " (connected to " + describe(remote)
                + "): the connection is not encrypted (security level " + level + "). ";
        if (plaintext == Plaintext.LOOPBACK) {
            return refused + "Plaintext was allowed for loopback addresses only (127.0.0.0/8, ::1); "
                    + "connect to this host with TLS (MoeMeshClient.Builder.tls(true), or tls(caFile) for a private CA; "
                    + "moe generate --tls / --ca-cert FILE)";
        }
        return refused + "Connect with TLS (MoeMeshClient.Builder.tls(true), or tls(caFile) for a private CA; "
                + "moe generate --tls / --ca-cert FILE), or, for a gateway on this machine, allow plaintext to "
                + "loopback addresses with MoeMeshClient.Builder.allowKeyOverPlaintext() (moe generate "
                + "--allow-key-over-plaintext)";
    }

    private static String describe(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            String host = inet.getAddress().getHostAddress();
            return (inet.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        return String.valueOf(remote);
    }

    /** Whether the connection's remote end is a loopback IP address (an unknown or non-IP address is not). */
    static boolean isLoopback(SocketAddress remote) {
        return remote instanceof InetSocketAddress inet && inet.getAddress() != null
                && inet.getAddress().isLoopbackAddress();
    }
}
