package io.moemesh.expert.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Records when one of the counted methods (Compute) was last called: {@link ShutdownDrain} waits
 * until the routers have stopped sending work. A separate bean from the drain so that the drain can
 * depend on the gRPC server (which carries this interceptor) and be stopped before it.
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
        if (counted.contains(call.getMethodDescriptor().getFullMethodName())) {
            last.set(nanoTime.getAsLong());
            called = true;
        }
        return next.startCall(call, headers);
    }

    /** The {@code nanoTime} of the last counted call; empty before the first. */
    public OptionalLong lastCall() {
        return called ? OptionalLong.of(last.get()) : OptionalLong.empty();
    }
}
