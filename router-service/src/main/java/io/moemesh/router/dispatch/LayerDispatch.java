package io.moemesh.router.dispatch;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.model.ExpertsUnavailableException;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.proto.codec.WireTensors;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.TokenRoute;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MoE layer step over the expert endpoints ({@link RemoteExperts#combine}): one Compute call per
 * endpoint, all in flight at once. A failed call, or one its endpoint refused (bulkhead full, breaker
 * open), is retried once on another replica; experts no usable endpoint can serve are reported with
 * {@link ExpertsUnavailableException}. A token's answers (an endpoint's sum over the first of its
 * experts, or one row per expert where the endpoint's experts are not such a prefix, see
 * {@link DispatchPlanner}) are added in ascending expert order, which reproduces the in-process result
 * bit for bit for any top-k and any placement (ADR 0001).
 *
 * <p>A step routes by the endpoints and topology current when it started ({@link LiveTopology#enter}),
 * both attempts, to its end. What it sent, received and spent its time on goes to {@link TrafficCounters}.
 */
final class LayerDispatch {

    // under RemoteExperts' name, where these warnings were logged before the step had its own class
    private static final Logger LOG = LoggerFactory.getLogger(RemoteExperts.class);
    /** The call, and one retry on another replica. */
    static final int ATTEMPTS = 2;

    private final LiveTopology live;
    private final int hiddenSize;
    private final DType wireDtype;
    private final DispatchTracing tracing;
    private final TrafficCounters traffic;

    LayerDispatch(LiveTopology live, int hiddenSize, DType wireDtype, DispatchTracing tracing,
            TrafficCounters traffic) {
        this.live = live;
        this.hiddenSize = hiddenSize;
        this.wireDtype = wireDtype;
        this.tracing = tracing;
        this.traffic = traffic;
    }

    /** Layer {@code layer} for {@code tokens} tokens: {@code out = Σ weight · expert(hidden)} over each token's route. */
    void combine(int layer, float[] hidden, int tokens, GateDecision[] routes, float[] out) {
        long start = System.nanoTime();
        StepClock clock = new StepClock();
        clock.trace = tracing.layer(layer, tokens);
        try (LiveTopology.Step step = live.enter()) {
            dispatch(layer, step.clients(), step.topology().hosts(layer), hidden, tokens, routes, out, clock);
        } catch (RuntimeException e) {
            if (clock.trace != null) {
                clock.trace.failed(e);
            }
            throw e;
        } finally {
            if (clock.trace != null) {
                clock.trace.end();
            }
        }
        traffic.stepped(layer, tokens, new RemoteExperts.Phases(System.nanoTime() - start, clock.send, clock.wait,
                clock.merge, clock.slowestServer));
    }

    /** One layer step's phases, every attempt added up (see {@link RemoteExperts.Phases}). Used by the step's thread only. */
    private static final class StepClock {
        long send;
        long wait;
        long merge;
        long slowestServer;
        /** The layer step's span; null unless the step is traced. */
        DispatchTracing.Layer trace;
    }

    /** Both attempts plan over {@code clients} and {@code hosts}, the routing the step started on. */
    private void dispatch(int layer, List<ExpertClient> clients, int[][] hosts, float[] hidden, int tokens,
            GateDecision[] routes, float[] out, StepClock clock) {
        PendingPairs pending = PendingPairs.of(routes, tokens);
        List<List<Partial>> partials = new ArrayList<>(tokens);
        for (int t = 0; t < tokens; t++) {
            partials.add(new ArrayList<>(2));
        }
        boolean[] failed = new boolean[clients.size()];
        Throwable lastError = null;
        for (int attempt = 0; attempt < ATTEMPTS && !pending.isEmpty(); attempt++) {
            List<Assignment> plan;
            try {
                plan = DispatchPlanner.plan(pending.experts(), pending.weights(), pending.all(), hosts, clients.size(),
                        e -> !failed[e] && clients.get(e).accepting());
            } catch (DispatchPlanner.UnservableExpertException e) {
                break;
            }
            if (clock.trace != null) {
                clock.trace.attempt(attempt);
            }
            lastError = send(layer, clients, hidden, plan, pending, partials, failed, clock);
        }
        if (!pending.isEmpty()) {
            throw new ExpertsUnavailableException(layer, pending.expertSet(), lastError);
        }
        long adding = System.nanoTime();
        add(partials, tokens, out);
        clock.merge += System.nanoTime() - adding;
    }

    /**
     * One attempt: every assignment in flight at once, then collected. Returns the last error seen.
     * An endpoint that refused its call (bulkhead full or breaker open) is marked failed for this
     * step like one whose call failed, so its tokens go to another replica; the refusal is not
     * reported to its breaker, because the endpoint was never called. If the attempt stops early
     * (a caller error, an interrupt), the calls still in flight are cancelled, which frees their
     * bulkhead permits now instead of at their deadline.
     */
    private Throwable send(int layer, List<ExpertClient> clients, float[] hidden, List<Assignment> plan,
            PendingPairs pending, List<List<Partial>> partials, boolean[] failed, StepClock clock) {
        List<ListenableFuture<ComputeResponse>> calls = new ArrayList<>(plan.size());
        long start = System.nanoTime();
        Throwable lastError = null;
        try {
            for (Assignment a : plan) {
                ComputeRequest request = request(layer, hidden, a);
                ExpertClient client = clients.get(a.endpoint());
                ListenableFuture<ComputeResponse> call = clock.trace == null ? client.compute(request)
                        : clock.trace.call(a, client.endpoint().id(), request.getHidden().getData().size(),
                                () -> client.compute(request, true));
                if (call != null) {
                    traffic.sent(layer, a, request.getHidden().getData().size());
                } else if (Thread.currentThread().isInterrupted()) {
                    throw interrupted(); // the bulkhead refuses every call on an interrupted thread
                }
                calls.add(call);
            }
            long sent = System.nanoTime();
            clock.send += sent - start;
            long mergedBefore = clock.merge;
            for (int i = 0; i < plan.size(); i++) {
                Assignment a = plan.get(i);
                ExpertClient client = clients.get(a.endpoint());
                Throwable error = calls.get(i) == null ? refused(layer, client, a)
                        : collect(layer, client, a, calls.get(i), start, pending, partials, clock);
                if (calls.get(i) == null && clock.trace != null) {
                    clock.trace.refused(a);
                }
                if (error != null) {
                    failed[a.endpoint()] = true;
                    lastError = error;
                }
            }
            clock.wait += System.nanoTime() - sent - (clock.merge - mergedBefore);
        } finally {
            calls.stream().filter(c -> c != null && !c.isDone()).forEach(c -> c.cancel(true));
        }
        return lastError;
    }

    private Throwable refused(int layer, ExpertClient client, Assignment a) {
        String limits = client.limits();
        LOG.warn("layer {}: expert endpoint {} refused a call ({} tokens; {})", layer, client.endpoint().id(),
                a.size(), limits);
        return Status.UNAVAILABLE.withDescription("expert endpoint " + client.endpoint().id()
                + " refused the call (" + limits + ")").asRuntimeException();
    }

    /** Waits for one call and records its partial sums; returns its error, or null when it succeeded. */
    private Throwable collect(int layer, ExpertClient client, Assignment a, ListenableFuture<ComputeResponse> call,
            long start, PendingPairs pending, List<List<Partial>> partials, StepClock clock) {
        int h = hiddenSize;
        try {
            ComputeResponse response = call.get();
            long answered = System.nanoTime();
            clock.slowestServer = Math.max(clock.slowestServer, response.getServerNanos());
            traffic.received(response.getOutput().getData().size());
            if (clock.trace != null) {
                clock.trace.answered(a, response.getOutput().getData().size(), response.getServerNanos());
            }
            requireRows(client, a, response);
            float[] values = WireTensors.decode(response.getOutput(), "output", a.rows(), h);
            client.succeeded(System.nanoTime() - start);
            int row = 0;
            for (int j = 0; j < a.size(); j++) {
                int token = a.tokens().get(j);
                int[] experts = a.experts().get(j);
                if (a.perUnit().get(j)) {
                    for (int expert : experts) {
                        partials.get(token).add(new Partial(expert, values, row++ * h));
                    }
                } else {
                    partials.get(token).add(new Partial(experts[0], values, row++ * h));
                }
                pending.done(token, experts);
            }
            clock.merge += System.nanoTime() - answered;
            return null;
        } catch (ExecutionException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            rethrowIfCallerError(cause, client);
            traffic.failed();
            if (clock.trace != null) {
                clock.trace.failed(a, cause);
            }
            client.failed(System.nanoTime() - start, cause);
            LOG.warn("layer {}: expert endpoint {} failed ({} tokens; breaker {}): {}", layer,
                    client.endpoint().id(), a.size(), client.breakerState(), cause.toString());
            return cause;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted();
        }
    }

    /**
     * An expert service built before {@code per_unit_outputs} ignores it and answers one summed row per
     * token: adding those would silently give other floats, so the call fails (and is retried elsewhere).
     */
    private static void requireRows(ExpertClient client, Assignment a, ComputeResponse response) {
        long rows = response.getOutput().getShapeCount() > 0 ? response.getOutput().getShape(0) : -1;
        if (rows != a.rows()) {
            throw Status.INTERNAL.withDescription("expert endpoint " + client.endpoint().id() + " answered " + rows
                    + " output rows; " + a.rows() + " expected for " + a.size() + " tokens, " + a.perUnitTokens()
                    + " of them asking for per-unit outputs (one row per expert): an expert service that predates "
                    + "TokenRoute.per_unit_outputs answers one row per token; upgrade it to serve top-k > 2")
                    .asRuntimeException();
        }
    }

    private static StatusRuntimeException interrupted() {
        return Status.CANCELLED.withDescription("interrupted while waiting for experts").asRuntimeException();
    }

    /** INVALID_ARGUMENT means the router sent something wrong: retrying elsewhere cannot help. */
    private static void rethrowIfCallerError(Throwable cause, ExpertClient client) {
        if (cause instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.INVALID_ARGUMENT) {
            throw new IllegalStateException("expert endpoint " + client.endpoint().id() + " rejected a request: "
                    + s.getStatus().getDescription(), s);
        }
    }

    private ComputeRequest request(int layer, float[] hidden, Assignment a) {
        int h = hiddenSize;
        float[] rows = new float[a.size() * h];
        ComputeRequest.Builder b = ComputeRequest.newBuilder().setLayer(layer);
        for (int j = 0; j < a.size(); j++) {
            System.arraycopy(hidden, a.tokens().get(j) * h, rows, j * h, h);
            TokenRoute.Builder route = TokenRoute.newBuilder().setPerUnitOutputs(a.perUnit().get(j));
            for (int k = 0; k < a.experts().get(j).length; k++) {
                route.addExperts(a.experts().get(j)[k]).addWeights(a.weights().get(j)[k]);
            }
            b.addRoutes(route);
        }
        return b.setHidden(WireTensors.encode(rows, a.size(), h, wireDtype)).build();
    }

    /**
     * out[t] = 0 + p₁ + p₂ …, in ascending order of their first expert: at most one answer sums several
     * experts, and those are the token's first ones (DispatchPlanner), so this is the in-process fold.
     */
    private void add(List<List<Partial>> partials, int tokens, float[] out) {
        int h = hiddenSize;
        Arrays.fill(out, 0, tokens * h, 0f);
        for (int t = 0; t < tokens; t++) {
            List<Partial> ps = partials.get(t);
            ps.sort(Comparator.comparingInt(Partial::firstExpert));
            for (Partial p : ps) {
                LocalExperts.addWeighted(1f, p.values(), p.offset(), out, t * h, h);
            }
        }
    }

    /**
     * One endpoint's weighted sum for one token over its experts from {@code firstExpert}, or one
     * expert's weighted output: {@code values[offset .. offset + hidden)}.
     */
    private record Partial(int firstExpert, float[] values, int offset) {
    }
}
