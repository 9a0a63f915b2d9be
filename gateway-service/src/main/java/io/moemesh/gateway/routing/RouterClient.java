package io.moemesh.gateway.routing;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Outbound calls to one router over one channel, counting the calls in flight for load balancing. */
public final class RouterClient implements AutoCloseable {

    /**
     * The caller's identity, for the router's per-caller fairness: an API key's fingerprint or
     * {@code anonymous:<peer>}. Routers trust it only from authenticated internal callers.
     */
    public static final Metadata.Key<String> CALLER = Metadata.Key.of("moemesh-caller", Metadata.ASCII_STRING_MARSHALLER);

    private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

    private final String target;
    private final ManagedChannel channel;
    private final AtomicInteger inFlight = new AtomicInteger();

    public RouterClient(String target, ManagedChannel channel) {
        this.target = target;
        this.channel = channel;
    }

    public String target() {
        return target;
    }

    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Starts a call whose responses go to {@code observer}; unary methods work too (one response).
     * The call runs outside the caller's gRPC context: its deadline, cancellation and caller header
     * are explicit.
     */
    <Q, R> void call(MethodDescriptor<Q, R> method, Q request, RouterCall call, ClientResponseObserver<Q, R> observer) {
        inFlight.incrementAndGet();
        CountingObserver<Q, R> counting = new CountingObserver<>(observer, inFlight);
        try {
            Metadata headers = new Metadata();
            headers.put(CALLER, call.caller());
            Channel withCaller = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
            ClientCalls.asyncServerStreamingCall(
                    withCaller.newCall(method, CallOptions.DEFAULT.withDeadline(call.deadline())), request, counting);
        } catch (RuntimeException e) {
            counting.onError(e);
        }
    }

    @Override
    public void close() {
        channel.shutdown();
        try {
            if (!channel.awaitTermination(CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "router " + target;
    }

    /** Decrements the in-flight count once, when the call ends however it ends. */
    private static final class CountingObserver<Q, R> implements ClientResponseObserver<Q, R> {
        private final ClientResponseObserver<Q, R> delegate;
        private final AtomicInteger inFlight;
        private final AtomicBoolean ended = new AtomicBoolean();

        CountingObserver(ClientResponseObserver<Q, R> delegate, AtomicInteger inFlight) {
            this.delegate = delegate;
            this.inFlight = inFlight;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<Q> requestStream) {
            delegate.beforeStart(requestStream);
        }

        @Override
        public void onNext(R value) {
            delegate.onNext(value);
        }

        @Override
        public void onError(Throwable error) {
            end();
            delegate.onError(error);
        }

        @Override
        public void onCompleted() {
            end();
            delegate.onCompleted();
        }

        private void end() {
            if (ended.compareAndSet(false, true)) {
                inFlight.decrementAndGet();
            }
        }
    }
}
