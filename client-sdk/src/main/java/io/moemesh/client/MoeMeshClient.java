package io.moemesh.client;

import io.grpc.CallCredentials;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.AbstractStub;
import io.moemesh.client.internal.ProtoMapper;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.ListModelsRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Client for a moe-mesh gateway (or a router: both serve the public {@code moemesh.v1.MoeMesh} API).
 *
 * <pre>{@code
 * try (MoeMeshClient client = MoeMeshClient.builder().target("gateway.example.com:443").tls(true).apiKey(key).build()) {
 *     GenerationResult result = client.generate(GenerateOptions.builder().prompt("Hello").maxTokens(32).build());
 * }
 * }</pre>
 *
 * <p>The API key goes only over TLS (or an in-process channel); over plaintext a call fails with
 * {@link UnauthenticatedException} before anything is sent, unless
 * {@link Builder#allowKeyOverPlaintext()} allows it to a gateway on this machine.
 *
 * <p>Every call carries a deadline: {@link GenerateOptions#deadline()} or the client's default.
 *
 * <p><b>No automatic retries.</b> Generate is not idempotent: a retried request samples again and
 * costs a second generation, and a stream that failed part-way cannot be resumed. Failures surface
 * as typed {@link MoeMeshException}s; retry in the caller where that is what you want (for example
 * with backoff on {@link RateLimitedException} or {@link UnavailableException}). The gateway itself
 * fails over to another router when one is unavailable before the first chunk.
 *
 * <p>Thread-safe; share one client (one connection) across threads and close it when done.
 */
public final class MoeMeshClient implements AutoCloseable {

    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);

    private final ManagedChannel ownedChannel;
    private final Channel channel;
    private final CallCredentials apiKey;
    private final Duration defaultDeadline;

    private MoeMeshClient(ManagedChannel ownedChannel, Channel channel, CallCredentials apiKey,
            Duration defaultDeadline) {
        this.ownedChannel = ownedChannel;
        this.channel = channel;
        this.apiKey = apiKey;
        this.defaultDeadline = defaultDeadline;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Generates and waits for the whole result.
     *
     * @throws MoeMeshException (a subclass where the status code has one) when the call fails
     */
    public GenerationResult generate(GenerateOptions options) {
        try (GenerationStream stream = stream(options)) {
            return stream.result();
        }
    }

    /** Starts a generation read by pulling chunks; close the stream to cancel it. */
    public GenerationStream stream(GenerateOptions options) {
        GenerateRequest request = ProtoMapper.request(options);
        MoeMeshGrpc.MoeMeshBlockingStub stub = withDeadline(MoeMeshGrpc.newBlockingStub(channel), options);
        Context.CancellableContext context = Context.current().withCancellation();
        try {
            Iterator<GenerateResponse> responses = context.call(() -> stub.generate(request));
            return new GenerationStream(context, responses);
        } catch (Exception e) {
            context.cancel(e);
            throw MoeMeshException.of(e);
        }
    }

    /** Starts a generation that pushes its events to {@code listener}; returns a handle to cancel it. */
    public StreamingCall stream(GenerateOptions options, GenerationListener listener) {
        ListenerRelay relay = new ListenerRelay(listener);
        withDeadline(MoeMeshGrpc.newStub(channel), options).generate(ProtoMapper.request(options), relay);
        return relay;
    }

    /** The models the deployment serves. */
    public List<ModelInfo> listModels() {
        try {
            return authorized(MoeMeshGrpc.newBlockingStub(channel))
                    .withDeadlineAfter(defaultDeadline.toNanos(), TimeUnit.NANOSECONDS)
                    .listModels(ListModelsRequest.getDefaultInstance())
                    .getModelsList().stream().map(ProtoMapper::model).toList();
        } catch (StatusRuntimeException e) {
            throw MoeMeshException.of(e);
        }
    }

    /** Closes the connection if this client opened it; a channel passed to the builder stays open. */
    @Override
    public void close() {
        if (ownedChannel == null) {
            return;
        }
        ownedChannel.shutdown();
        try {
            if (!ownedChannel.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                ownedChannel.shutdownNow();
            }
        } catch (InterruptedException e) {
            ownedChannel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private <S extends AbstractStub<S>> S withDeadline(S stub, GenerateOptions options) {
        Duration deadline = options.deadline() != null ? options.deadline() : defaultDeadline;
        return authorized(stub).withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
    }

    private <S extends AbstractStub<S>> S authorized(S stub) {
        return apiKey == null ? stub : stub.withCallCredentials(apiKey);
    }

    /** Configures a {@link MoeMeshClient}. Either {@link #target} or {@link #channel} is required. */
    public static final class Builder {
        private String target;
        private String apiKey;
        private ApiKeyCredentials.Plaintext keyOverPlaintext = ApiKeyCredentials.Plaintext.REFUSE;
        private boolean tls;
        private Path trustCertFile;
        private Path clientCertFile;
        private Path clientKeyFile;
        private ChannelCredentials channelCredentials;
        private String serverName;
        private Duration defaultDeadline = Duration.ofSeconds(60);
        private ManagedChannel channel;

        private Builder() {
        }

        /** The gateway address, {@code host:port} (or any gRPC target URI). */
        public Builder target(String target) {
            this.target = target;
            return this;
        }

        /**
         * Sent as {@code authorization: Bearer <key>} on every call, over TLS only (see
         * {@link #allowKeyOverPlaintext()}); omit when the gateway runs without keys.
         */
        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        /** {@link #apiKey(String)} with the first key in this file ({@link ApiKeyCredentials#readKeyFile}). */
        public Builder apiKeyFile(Path file) {
            this.apiKey = ApiKeyCredentials.readKeyFile(file);
            return this;
        }

        /**
         * Lets the API key go over a plaintext connection when the target is a loopback address
         * ({@code localhost}, 127.0.0.0/8, {@code ::1}) — for a gateway on this machine, such as
         * {@code moe up}'s. To any other host the key still goes over TLS only.
         */
        public Builder allowKeyOverPlaintext() {
            this.keyOverPlaintext = ApiKeyCredentials.Plaintext.LOOPBACK;
            return this;
        }

        /**
         * Lets the API key go over a plaintext connection to any host. Anyone on the path can read it:
         * only for connections encrypted outside gRPC (a service-mesh sidecar, a VPN, an SSH tunnel).
         */
        public Builder allowKeyOverPlaintextToAnyHost() {
            this.keyOverPlaintext = ApiKeyCredentials.Plaintext.ANY_HOST;
            return this;
        }

        /** TLS with the JVM's trusted certificate authorities (default: plaintext). */
        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        /** TLS trusting (only) the CA certificates in this PEM file (a private CA, or a self-signed gateway). */
        public Builder tls(Path trustCertFile) {
            this.tls = true;
            this.trustCertFile = trustCertFile;
            return this;
        }

        /**
         * TLS, presenting this client certificate (PEM chain and PKCS#8 PEM private key) to a server that
         * asks for one (mutual TLS). Trusts the JVM's CAs unless {@link #tls(Path)} names a CA file.
         */
        public Builder clientCertificate(Path certChainFile, Path privateKeyFile) {
            this.tls = true;
            this.clientCertFile = certChainFile;
            this.clientKeyFile = privateKeyFile;
            return this;
        }

        /**
         * The channel's credentials as gRPC builds them (for example {@code TlsChannelCredentials} with
         * your own trust or key managers); replaces {@link #tls} and {@link #clientCertificate}.
         */
        public Builder channelCredentials(ChannelCredentials channelCredentials) {
            this.channelCredentials = channelCredentials;
            return this;
        }

        /**
         * The host name the server's TLS certificate must carry (and the {@code :authority} of every
         * call) when it differs from the target's host: for example {@code moe-mesh-gateway.moe.svc}
         * reached through {@code kubectl port-forward} at {@code localhost:50051}. TLS only:
         * {@link #build()} refuses it on a plaintext connection, where no certificate checks the name.
         */
        public Builder serverName(String serverName) {
            this.serverName = serverName;
            return this;
        }

        /** Deadline of calls that do not set their own (default 60 s). */
        public Builder defaultDeadline(Duration defaultDeadline) {
            this.defaultDeadline = defaultDeadline;
            return this;
        }

        /**
         * Uses an existing channel instead of opening one (tests, or a channel shared with other
         * stubs). The client does not close it; target and TLS settings are ignored, and the API key
         * goes only over the channel's secure connections, as with a channel of its own.
         */
        public Builder channel(ManagedChannel channel) {
            this.channel = channel;
            return this;
        }

        public MoeMeshClient build() {
            if (defaultDeadline == null || defaultDeadline.isNegative() || defaultDeadline.isZero()) {
                throw new IllegalArgumentException("defaultDeadline must be positive, got " + defaultDeadline);
            }
            if (channel == null && (target == null || target.isBlank())) {
                throw new IllegalArgumentException("target is required (host:port of the gateway), or pass a channel");
            }
            if (channelCredentials != null && (tls || trustCertFile != null || clientCertFile != null)) {
                throw new IllegalArgumentException("channelCredentials replaces tls(...) and clientCertificate(...): "
                        + "use one or the other");
            }
            if (serverName != null && channel == null && !tls && channelCredentials == null) {
                // without TLS no certificate is checked against the name, so it would only relabel the
                // connection: a remote host called "localhost" must not look local to anyone
                throw new IllegalArgumentException("serverName(\"" + serverName + "\") needs TLS: it is the name the "
                        + "gateway's certificate must carry. Add tls(true) or tls(caFile) (moe generate --tls / "
                        + "--ca-cert FILE), or drop serverName for a plaintext gateway");
            }
            CallCredentials key = apiKey == null ? null : keyCredentials();
            ManagedChannel owned = channel == null ? openChannel() : null;
            return new MoeMeshClient(owned, owned != null ? owned : channel, key, defaultDeadline);
        }

        private ManagedChannel openChannel() {
            var builder = Grpc.newChannelBuilder(target, credentials());
            if (serverName != null) {
                builder.overrideAuthority(serverName);
            }
            return builder.build();
        }

        private CallCredentials keyCredentials() {
            ApiKeyCredentials key = ApiKeyCredentials.of(apiKey);
            return switch (keyOverPlaintext) {
                case REFUSE -> key;
                case LOOPBACK -> key.allowingPlaintextToLoopback();
                case ANY_HOST -> key.allowingPlaintextToAnyHost();
            };
        }

        private ChannelCredentials credentials() {
            if (channelCredentials != null) {
                return channelCredentials;
            }
            if (!tls) {
                return InsecureChannelCredentials.create();
            }
            if (trustCertFile != null) {
                requireReadable(trustCertFile, "TLS trust certificate file");
            }
            if (clientCertFile != null) {
                requireReadable(clientCertFile, "client certificate file");
                requireReadable(clientKeyFile, "client private key file");
            }
            TlsChannelCredentials.Builder credentials = TlsChannelCredentials.newBuilder();
            try {
                if (trustCertFile != null) {
                    credentials.trustManager(trustCertFile.toFile());
                }
                if (clientCertFile != null) {
                    credentials.keyManager(clientCertFile.toFile(), clientKeyFile.toFile());
                }
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot load TLS files (CA " + trustCertFile + ", client certificate "
                        + clientCertFile + ", key " + clientKeyFile + "): " + e.getMessage()
                        + " (PEM expected; the private key in PKCS#8)", e);
            }
            return credentials.build();
        }

        private static void requireReadable(Path file, String what) {
            if (file == null || !Files.isReadable(file)) {
                throw new IllegalArgumentException(what + " is not readable: " + file);
            }
        }
    }
}
