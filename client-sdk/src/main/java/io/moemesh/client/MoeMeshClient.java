package io.moemesh.client;

import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.moemesh.client.internal.ApiKeyInterceptor;
import io.moemesh.client.internal.GenerationAssembler;
import io.moemesh.client.internal.ProtoMapper;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.ListModelsRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * try (MoeMeshClient client = MoeMeshClient.builder().target("localhost:50051").apiKey(key).build()) {
 *     GenerationResult result = client.generate(GenerateOptions.builder().prompt("Hello").maxTokens(32).build());
 * }
 * }</pre>
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
    private final Duration defaultDeadline;

    private MoeMeshClient(ManagedChannel ownedChannel, Channel channel, Duration defaultDeadline) {
        this.ownedChannel = ownedChannel;
        this.channel = channel;
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
            return MoeMeshGrpc.newBlockingStub(channel)
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
        return stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Feeds one call's responses to a listener. gRPC calls these methods one at a time. */
    private static final class ListenerRelay
            implements ClientResponseObserver<GenerateRequest, GenerateResponse>, StreamingCall {

        private final GenerationListener listener;
        private final GenerationAssembler assembler = new GenerationAssembler();
        private volatile ClientCallStreamObserver<GenerateRequest> call;
        private MoeMeshException protocolError;

        ListenerRelay(GenerationListener listener) {
            this.listener = listener;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<GenerateRequest> requestStream) {
            this.call = requestStream;
        }

        @Override
        public void onNext(GenerateResponse response) {
            TextChunk chunk;
            try {
                chunk = assembler.accept(response);
            } catch (MoeMeshException e) {
                protocolError = e;
                call.cancel("the server broke the protocol", e);
                return;
            }
            if (chunk != null) {
                listener.onChunk(chunk);
            }
        }

        @Override
        public void onError(Throwable error) {
            listener.onError(protocolError != null ? protocolError : MoeMeshException.of(error));
        }

        @Override
        public void onCompleted() {
            GenerationResult result;
            try {
                result = assembler.result();
            } catch (MoeMeshException e) {
                listener.onError(e);
                return;
            }
            listener.onComplete(result);
        }

        @Override
        public void cancel() {
            call.cancel("cancelled by the caller", null);
        }
    }

    /** Configures a {@link MoeMeshClient}. Either {@link #target} or {@link #channel} is required. */
    public static final class Builder {
        private String target;
        private String apiKey;
        private boolean tls;
        private Path trustCertFile;
        private Duration defaultDeadline = Duration.ofSeconds(60);
        private ManagedChannel channel;

        private Builder() {
        }

        /** The gateway address, {@code host:port} (or any gRPC target URI). */
        public Builder target(String target) {
            this.target = target;
            return this;
        }

        /** Sent as {@code authorization: Bearer <key>} on every call; omit when the gateway has auth off. */
        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        /** TLS with the JVM's trusted certificate authorities (default: plaintext). */
        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        /** TLS trusting the CA certificates in this PEM file (for a private CA or a self-signed gateway). */
        public Builder tls(Path trustCertFile) {
            this.tls = true;
            this.trustCertFile = trustCertFile;
            return this;
        }

        /** Deadline of calls that do not set their own (default 60 s). */
        public Builder defaultDeadline(Duration defaultDeadline) {
            this.defaultDeadline = defaultDeadline;
            return this;
        }

        /**
         * Uses an existing channel instead of opening one (tests, or a channel shared with other
         * stubs). The client does not close it; target and TLS settings are ignored.
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
            ManagedChannel owned = channel == null ? Grpc.newChannelBuilder(target, credentials()).build() : null;
            Channel base = owned != null ? owned : channel;
            Channel intercepted = apiKey == null ? base : ClientInterceptors.intercept(base, new ApiKeyInterceptor(apiKey));
            return new MoeMeshClient(owned, intercepted, defaultDeadline);
        }

        private ChannelCredentials credentials() {
            if (!tls) {
                return InsecureChannelCredentials.create();
            }
            if (trustCertFile == null) {
                return TlsChannelCredentials.create();
            }
            if (!Files.isReadable(trustCertFile)) {
                throw new IllegalArgumentException("TLS trust certificate file is not readable: " + trustCertFile);
            }
            try {
                return TlsChannelCredentials.newBuilder().trustManager(trustCertFile.toFile()).build();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read TLS trust certificates from " + trustCertFile, e);
            }
        }
    }
}
