package io.moemesh.expert.grpc;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.proto.codec.WireTensors;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import io.moemesh.proto.internal.v1.TokenRoute;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls this endpoint's own {@code Compute} over loopback TCP before it reports SERVING, so that
 * the JIT has compiled the call path — transport, HTTP/2, protobuf, the wire codec, validation,
 * the batcher — before the router's first calls. The FFN warm-up ({@code moemesh.expert.warmup})
 * does not reach that code, and a cold expert JVM spent milliseconds per call interpreting it:
 * with one service per expert each process sees a sixteenth of the calls and stays cold the
 * longest (docs/performance.md, "Where the per-call floor comes from").
 *
 * <p>Requests cycle through the hosted units and through 1, 4 and 16 tokens of F32 hidden states
 * (the router's default wire type), one after the other, until a time budget is spent: alone on
 * its cores a service makes thousands of calls in a few seconds; sixteen services starting
 * together on two cores make a few hundred each, and start-up stays bounded either way. A failed call ends the warm-up with a warning: it never
 * keeps the service from starting.
 */
public final class LoopbackWarmup {

    private static final Logger LOG = LoggerFactory.getLogger(LoopbackWarmup.class);
    private static final int[] TOKENS = {1, 4, 16};
    private static final long CALL_DEADLINE_SECONDS = 10;

    private LoopbackWarmup() {
    }

    /** Calls {@code 127.0.0.1:port} in plaintext until {@code budget} is spent; returns how many calls succeeded. */
    public static int run(int port, List<UnitId> units, int hiddenSize, Duration budget) {
        return run(plaintext(port), port, units, hiddenSize, budget, Integer.MAX_VALUE);
    }

    /**
     * Calls the server on {@code port} through channels from {@code channel} (the service's own TLS
     * and internal token: it is a caller like any other) until {@code budget} is spent.
     */
    public static int run(Supplier<ManagedChannelBuilder<?>> channel, int port, List<UnitId> units, int hiddenSize,
            Duration budget) {
        return run(channel, port, units, hiddenSize, budget, Integer.MAX_VALUE);
    }

    /** As {@link #run(int, List, int, Duration)}, stopping after {@code calls} calls at most. */
    static int run(int port, List<UnitId> units, int hiddenSize, Duration budget, int calls) {
        return run(plaintext(port), port, units, hiddenSize, budget, calls);
    }

    private static Supplier<ManagedChannelBuilder<?>> plaintext(int port) {
        return () -> Grpc.newChannelBuilder("127.0.0.1:" + port, InsecureChannelCredentials.create());
    }

    private static int run(Supplier<ManagedChannelBuilder<?>> channelBuilder, int port, List<UnitId> units,
            int hiddenSize, Duration budget, int calls) {
        if (calls <= 0 || budget.isZero() || budget.isNegative() || units.isEmpty() || port <= 0) {
            return 0;
        }
        long start = System.nanoTime();
        long deadline = start + budget.toNanos();
        ManagedChannel channel = channelBuilder.get().directExecutor().build();
        int done = 0;
        try {
            ExpertGrpc.ExpertBlockingStub stub = ExpertGrpc.newBlockingStub(channel);
            for (int i = 0; i < calls && System.nanoTime() - deadline < 0; i++) {
                stub.withDeadlineAfter(CALL_DEADLINE_SECONDS, TimeUnit.SECONDS)
                        .compute(request(i, units.get(i % units.size()), TOKENS[i % TOKENS.length], hiddenSize));
                done++;
            }
            LOG.info("loopback warm-up: {} Compute calls in {} ms", done,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        } catch (StatusRuntimeException e) {
            LOG.warn("loopback warm-up stopped after {} calls: {}", done, e.getStatus());
        } finally {
            channel.shutdownNow();
        }
        return done;
    }

    static ComputeRequest request(int index, UnitId unit, int tokens, int hiddenSize) {
        float[] rows = new float[tokens * hiddenSize];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = ((i * 31 + index) % 17 - 8) / 8f; // small, finite, not all zero
        }
        ComputeRequest.Builder request = ComputeRequest.newBuilder().setRequestId("warmup-" + index)
                .setLayer(unit.layer()).setHidden(WireTensors.encode(rows, tokens, hiddenSize, DType.DTYPE_F32));
        TokenRoute route = TokenRoute.newBuilder().addExperts(unit.expert()).addWeights(1f).build();
        for (int t = 0; t < tokens; t++) {
            request.addRoutes(route);
        }
        return request.build();
    }
}
