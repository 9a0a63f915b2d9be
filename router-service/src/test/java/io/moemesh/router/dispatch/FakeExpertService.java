package io.moemesh.router.dispatch;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.ExpertFfn;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.proto.codec.WireTensors;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.DescribeRequest;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import io.moemesh.proto.internal.v1.TokenRoute;
import io.moemesh.proto.internal.v1.Unit;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test stand-in for expert-service: hosts some units and follows the Compute contract (per token,
 * Σ weight · FFN in ascending expert order, F32 out; one row per expert for a token asking for
 * per-unit outputs, unless {@code predatesPerUnitOutputs} makes it answer like a service built
 * before that field existed). Compute ({@code down}) or Describe
 * ({@code describeDown}) can be switched down to answer UNAVAILABLE; Compute calls can be held
 * unanswered (in flight) until the test releases or fails them; and it can be told to host more
 * units while it runs, as SetPartnerUnits would.
 */
final class FakeExpertService extends ExpertGrpc.ExpertImplBase {

    private final Map<Long, ExpertWeights> units; // key: layer << 32 | expert
    private final int hidden;
    private final ExpertFfn ffn = new ExpertFfn(Kernels.best());
    final AtomicBoolean down = new AtomicBoolean();
    final AtomicBoolean describeDown = new AtomicBoolean();
    final AtomicBoolean hold = new AtomicBoolean();
    final AtomicBoolean predatesPerUnitOutputs = new AtomicBoolean();
    /** Tokens received with per_unit_outputs set. */
    final AtomicInteger perUnitTokens = new AtomicInteger();
    final AtomicInteger computeCalls = new AtomicInteger();
    /** Of {@link #computeCalls}, those that came as messages on a ComputeStream; the others were unary. */
    final AtomicInteger streamedCalls = new AtomicInteger();
    /** ComputeStream refused with UNIMPLEMENTED, as an expert service built before it would. */
    final AtomicBoolean predatesComputeStream = new AtomicBoolean();
    final AtomicInteger streamsOpened = new AtomicInteger();
    /** Calls withdrawn on a stream (cancel = true). */
    final AtomicInteger withdrawn = new AtomicInteger();
    final AtomicInteger describeCalls = new AtomicInteger();
    private final Queue<HeldCall> held = new ConcurrentLinkedQueue<>();
    private final Queue<StreamObserver<ComputeResponse>> openStreams = new ConcurrentLinkedQueue<>();

    private record HeldCall(ComputeRequest request, StreamObserver<ComputeResponse> response) {
    }

    /** What every answer reports as the expert's own time on the call. */
    static final long SERVER_NANOS = 1_000;

    FakeExpertService(Map<Long, ExpertWeights> units, int hidden) {
        this.units = new ConcurrentHashMap<>(units);
        this.hidden = hidden;
    }

    static long key(int layer, int expert) {
        return ((long) layer << 32) | expert;
    }

    /** Hosts one more unit from now on: Compute serves it and Describe lists it. */
    void host(int layer, int expert, ExpertWeights weights) {
        units.put(key(layer, expert), weights);
    }

    @Override
    public void describe(DescribeRequest request, StreamObserver<DescribeResponse> response) {
        describeCalls.incrementAndGet();
        if (describeDown.get()) {
            response.onError(Status.UNAVAILABLE.withDescription("test endpoint is down").asRuntimeException());
            return;
        }
        DescribeResponse.Builder b = DescribeResponse.newBuilder().setHiddenSize(hidden).setBackend("test");
        units.keySet().stream().sorted().forEach(k -> b.addUnits(
                Unit.newBuilder().setLayer((int) (k >> 32)).setExpert((int) (long) k)));
        response.onNext(b.build());
        response.onCompleted();
    }

    @Override
    public void compute(ComputeRequest request, StreamObserver<ComputeResponse> response) {
        computeCalls.incrementAndGet();
        if (down.get()) {
            response.onError(Status.UNAVAILABLE.withDescription("test endpoint is down").asRuntimeException());
            return;
        }
        if (hold.get()) {
            held.add(new HeldCall(request, response));
            return;
        }
        answer(request, response);
    }

    /**
     * Each message is one Compute call, answered on the stream with its call id (a failure as a status
     * in the answer), exactly as {@link #compute} answers the unary call; held, down and so on apply alike.
     */
    @Override
    public StreamObserver<ComputeRequest> computeStream(StreamObserver<ComputeResponse> responses) {
        if (predatesComputeStream.get()) {
            responses.onError(Status.UNIMPLEMENTED.withDescription("Method not found").asRuntimeException());
            return new StreamObserver<>() {
                @Override
                public void onNext(ComputeRequest value) {
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            };
        }
        streamsOpened.incrementAndGet();
        openStreams.add(responses);
        return new StreamObserver<>() {
            @Override
            public void onNext(ComputeRequest request) {
                if (request.getCancel()) {
                    withdrawn.incrementAndGet();
                    return;
                }
                streamedCalls.incrementAndGet();
                compute(request, new StreamObserver<>() {
                    @Override
                    public void onNext(ComputeResponse response) {
                        send(responses, response.toBuilder().setCallId(request.getCallId()).build());
                    }

                    @Override
                    public void onError(Throwable t) {
                        Status status = Status.fromThrowable(t);
                        send(responses, ComputeResponse.newBuilder().setCallId(request.getCallId())
                                .setStatusCode(status.getCode().value())
                                .setStatusMessage(String.valueOf(status.getDescription())).build());
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
                responses.onCompleted();
            }
        };
    }

    /** Ends every open ComputeStream cleanly, as an endpoint that shuts down does. */
    void endStreams() {
        for (StreamObserver<ComputeResponse> s = openStreams.poll(); s != null; s = openStreams.poll()) {
            synchronized (s) {
                s.onCompleted();
            }
        }
    }

    private static void send(StreamObserver<ComputeResponse> responses, ComputeResponse response) {
        synchronized (responses) {
            try {
                responses.onNext(response);
            } catch (RuntimeException e) { // the stream was cancelled meanwhile
            }
        }
    }

    int heldCalls() {
        return held.size();
    }

    /** Answers the held calls, as if the endpoint had been slow. */
    void releaseHeld() {
        for (HeldCall c = held.poll(); c != null; c = held.poll()) {
            answer(c.request(), c.response());
        }
    }

    void failHeld(Status status) {
        for (HeldCall c = held.poll(); c != null; c = held.poll()) {
            c.response().onError(status.asRuntimeException());
        }
    }

    private void answer(ComputeRequest request, StreamObserver<ComputeResponse> response) {
        int tokens = request.getRoutesCount();
        float[] x = WireTensors.decode(request.getHidden(), "hidden", tokens, hidden);
        int[] firstRow = new int[tokens + 1];
        for (int t = 0; t < tokens; t++) {
            TokenRoute route = request.getRoutes(t);
            if (route.getPerUnitOutputs()) {
                perUnitTokens.incrementAndGet();
            }
            boolean perUnit = route.getPerUnitOutputs() && !predatesPerUnitOutputs.get();
            firstRow[t + 1] = firstRow[t] + (perUnit ? route.getExpertsCount() : 1);
        }
        int rows = firstRow[tokens];
        float[] out = new float[rows * hidden];
        float[] row = new float[hidden];
        float[] y = new float[hidden];
        ExpertFfn.Scratch scratch = null;
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(x, t * hidden, row, 0, hidden);
            TokenRoute route = request.getRoutes(t);
            boolean perUnit = firstRow[t + 1] - firstRow[t] > 1;
            for (int j = 0; j < route.getExpertsCount(); j++) {
                ExpertWeights w = units.get(key(request.getLayer(), route.getExperts(j)));
                if (w == null) {
                    response.onError(Status.NOT_FOUND.withDescription("unit not hosted").asRuntimeException());
                    return;
                }
                scratch = scratch != null ? scratch : ExpertFfn.Scratch.forTokens(1, w.intermediateSize());
                ffn.forward(w, row, 1, scratch, y);
                int target = perUnit ? firstRow[t] + j : firstRow[t];
                LocalExperts.addWeighted(route.getWeights(j), y, 0, out, target * hidden, hidden);
            }
        }
        response.onNext(ComputeResponse.newBuilder().setOutput(WireTensors.encode(out, rows, hidden, DType.DTYPE_F32))
                .setServerNanos(SERVER_NANOS).build());
        response.onCompleted();
    }
}
