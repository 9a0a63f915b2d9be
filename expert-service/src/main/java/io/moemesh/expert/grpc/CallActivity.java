package io.moemesh.expert.grpc;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Records when a message of one of the counted methods (Compute, and each request on a router's
 * long-lived ComputeStream) last arrived: {@link ShutdownDrain} waits until the routers have
 * stopped sending work. Messages, not calls: a stream is one call that carries many Compute
 * requests. A separate bean from the drain so that the drain can depend on the gRPC server (which
 * carries this interceptor) and be stopped before it.
 */
public final class CallActivity implements ServerInterceptor {

    private final Set<String> counted;
    private final LongSupplier nanoTime;
    private final AtomicLong last = new AtomicLong();
    private volatile boolean called;

    /** @param counted full method names, e.g. {@code moemesh.internal.v1.Expert/Compute} */
    public CallActivity(Set<String> counted, LongSupplier nanoTime) {
        this.counted = Set.copyOf(counted);
        this.nanoTime = nanoTime;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        ServerCall.Listener<Q> listener = next.startCall(call, headers);
        if (!counted.contains(call.getMethodDescriptor().getFullMethodName())) {
            return listener;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                last.set(nanoTime.getAsLong());
                called = true;
                super.onMessage(message);
            }
        };
    }

    /** The {@code nanoTime} of the last counted message; empty before the first. */
    public OptionalLong lastCall() {
        return called ? OptionalLong.of(last.get()) : OptionalLong.empty();
    }
}
