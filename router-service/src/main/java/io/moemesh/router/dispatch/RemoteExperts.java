package io.moemesh.router.dispatch;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.ExpertsUnavailableException;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.proto.codec.WireTensors;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.TokenRoute;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The experts, over gRPC: the router's side of the {@link ExpertDispatch} seam. Each layer step
 * makes one Compute call per endpoint, all in flight at once. A failed call, or one its endpoint
 * refused (bulkhead full, breaker open), is retried once on another replica; experts no usable
 * endpoint can serve are reported with {@link ExpertsUnavailableException}, and the dense part
 * routes around them. A token's answers (an endpoint's sum over the first of its experts, or one row
 * per expert where the endpoint's experts are not such a prefix, see {@link DispatchPlanner}) are
 * added in ascending expert order, which reproduces the in-process result bit for bit for any top-k
 * and any placement (ADR 0001).
 *
 * <p>Which endpoint hosts which unit can change while the router runs ({@link #refresh}), and so can
 * the set of endpoints ({@link #reconcile}): a layer step routes by the endpoints and topology current
 * when it started, both attempts, to its end. It reads them once, without a lock.
 */
public final class RemoteExperts implements ExpertDispatch, DynamicExpertEndpoints, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RemoteExperts.class);
    private static final int ATTEMPTS = 2; // the call, and one retry on another replica

    private final Function<ExpertEndpoint, ManagedChannel> channels;
    /** Clients of removed endpoints that steps may still use: closed after a later switch drains. */
    private final Set<ExpertClient> retired = ConcurrentHashMap.newKeySet();
    private final LongAdder callCount = new LongAdder();
    private final LongAdder tokenSends = new LongAdder();
    private final LongAdder tokenLayers = new LongAdder();
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder bytesReceived = new LongAdder();
    private final LongAdder layerSteps = new LongAdder();
    private final LongAdder failedCalls = new LongAdder();
    private final LongAdder stepNanos = new LongAdder();
    private final LongAdder sendNanos = new LongAdder();
    private final LongAdder waitNanos = new LongAdder();
    private final LongAdder mergeNanos = new LongAdder();
    private final LongAdder slowestServerNanos = new LongAdder();
    private final StepTimes stepTimes = new StepTimes();
    private final LiveTopology live;
    private final int hiddenSize;
    private final DispatchProperties properties;
    private volatile DispatchMetrics metrics; // null until a DispatchMetrics follows this dispatch
    private final DispatchTracing tracing;

    private RemoteExperts(Routing routing, Function<ExpertEndpoint, ManagedChannel> channels,
            DispatchProperties properties, DispatchTracing tracing) {
        this.channels = channels;
        this.tracing = tracing;
        // a step makes at most ATTEMPTS rounds of calls, each bounded by the call timeout
        this.live = new LiveTopology(routing,
                properties.callTimeout().multipliedBy(ATTEMPTS).plus(Duration.ofSeconds(1)));
        this.hiddenSize = routing.topology().hiddenSize();
        this.properties = properties;
    }

    /**
     * Connects to the endpoints and asks each what it hosts ({@code Describe}). With no endpoints every
     * expert is unavailable (the dense part routes around them) until {@link #reconcile} brings some.
     *
     * @param channels opens the channel to an endpoint, now and for endpoints that {@link #reconcile} adds
     */
    public static RemoteExperts connect(List<ExpertEndpoint> endpoints, Function<ExpertEndpoint, ManagedChannel> channels,
            int numLayers, int numExperts, int hiddenSize, DispatchProperties properties) {
        return connect(endpoints, channels, numLayers, numExperts, hiddenSize, properties, DispatchTracing.OFF);
    }

    /** {@link #connect(List, Function, int, int, int, DispatchProperties)}, with layer steps and calls traced. */
    public static RemoteExperts connect(List<ExpertEndpoint> endpoints, Function<ExpertEndpoint, ManagedChannel> channels,
            int numLayers, int numExperts, int hiddenSize, DispatchProperties properties, DispatchTracing tracing) {
        EndpointSetChange.requireUniqueIds(endpoints);
        List<ExpertClient> clients = endpoints.stream()
                .map(e -> new ExpertClient(e, channels.apply(e), properties)).toList();
        Routing routing = new Routing(clients, ExpertTopology.discover(clients, numLayers, numExperts, hiddenSize));
        return new RemoteExperts(routing, channels, properties, tracing);
    }

    /** The topology layer steps that start now route by. */
    public ExpertTopology topology() {
        return live.current().topology();
    }

    @Override
    public State state() {
        return state(live.current());
    }

    @Override
    public State refresh() throws InterruptedException {
        LiveTopology.Snapshot installed = live.replace(Routing::rediscover);
        closeRetired();
        return state(installed);
    }

    @Override
    public Change reconcile(List<ExpertEndpoint> endpoints) throws InterruptedException {
        EndpointSetChange.requireUniqueIds(endpoints);
        EndpointSetChange change = new EndpointSetChange(endpoints, channels, properties);
        LiveTopology.Snapshot installed;
        try {
            installed = live.replace(change::apply);
        } catch (TopologyDrainTimeoutException | InterruptedException e) {
            // installed, but steps may still call the removed endpoints: close their clients later
            retired.addAll(change.removedClients());
            change.closeUnused();
            endpointsChanged();
            throw e;
        } catch (RuntimeException e) {
            change.closeOpened(); // nothing was installed
            throw e;
        }
        change.closeUnused();
        change.removedClients().forEach(ExpertClient::close);
        closeRetired();
        endpointsChanged();
        Change result = new Change(change.added(), change.removed(), change.rejected(), state(installed));
        if (result.changedEndpoints() || !result.rejected().isEmpty()) {
            LOG.info("expert endpoints now {} (topology version {}): {}", installed.clients().size(),
                    installed.version(), change);
        }
        return result;
    }

    /** The clients steps that start now route to. */
    List<ExpertClient> clients() {
        return live.current().clients();
    }

    /** Per endpoint the router routes to now, its Compute calls since its client was opened. */
    public List<EndpointCallStats.Snapshot> endpointCalls() {
        return clients().stream().map(c -> c.calls().snapshot(c.endpoint(), c.accepting())).toList();
    }

    /** From now on, {@code next} counts this dispatch's steps and calls and follows its endpoint set. */
    void publishTo(DispatchMetrics next) {
        metrics = next;
    }

    private void endpointsChanged() {
        DispatchMetrics m = metrics;
        if (m != null) {
            m.endpointsChanged();
        }
    }

    /** A successful switch waited for every step on earlier routings: nothing calls retired clients anymore. */
    private void closeRetired() {
        for (ExpertClient c : List.copyOf(retired)) {
            c.close();
            retired.remove(c);
        }
    }

    private State state(LiveTopology.Snapshot snapshot) {
        return new State(snapshot.version(), snapshot.clients().stream().map(c -> new EndpointState(c.endpoint(),
                snapshot.topology().description(c.endpoint().id()), c.accepting())).toList());
    }

    /**
     * Cumulative counts since start. A call an endpoint refused (bulkhead full, breaker open) was never
     * made and is not counted; a failed call and its retry both are.
     *
     * @param calls         Compute calls made
     * @param tokenSends    tokens in those calls: a token whose experts live on two endpoints counts twice,
     *                      one whose experts are co-hosted once (placement's "remote calls per token per layer")
     * @param tokenLayers   tokens of the layer steps that completed, each token once per MoE layer step; a
     *                      step the dense part re-routes after {@link ExpertsUnavailableException} counts once
     * @param bytesSent     hidden-state payload bytes sent
     * @param bytesReceived partial-sum payload bytes received
     * @param layerSteps    layer steps that completed ({@code calls / layerSteps}: endpoints touched per step)
     * @param stepTimes     how long those steps took, per duration bucket
     * @param failedCalls   calls sent that failed (then retried elsewhere or routed around)
     * @param phases        where those steps' time went
     */
    public record Traffic(long calls, long tokenSends, long tokenLayers, long bytesSent, long bytesReceived,
            long layerSteps, StepTimes.Snapshot stepTimes, long failedCalls, Phases phases) {
    }

    /**
     * Nanoseconds summed over the completed layer steps: whole steps; building and starting the calls;
     * waiting for the answers; decoding them and adding the partial sums; and per step the longest
     * time an expert reported spending on one of its calls (queue and compute), its part of the wait.
     */
    public record Phases(long stepNanos, long sendNanos, long waitNanos, long mergeNanos, long slowestServerNanos) {
    }

    public Traffic traffic() {
        return new Traffic(callCount.sum(), tokenSends.sum(), tokenLayers.sum(), bytesSent.sum(),
                bytesReceived.sum(), layerSteps.sum(), stepTimes.snapshot(), failedCalls.sum(),
                new Phases(stepNanos.sum(), sendNanos.sum(), waitNanos.sum(), mergeNanos.sum(),
                        slowestServerNanos.sum()));
    }

    @Override
    public boolean isAvailable(int layer, int expert) {
        LiveTopology.Snapshot current = live.current();
        for (int endpoint : current.topology().hosts(layer)[expert]) {
            if (current.clients().get(endpoint).accepting()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void combine(int layer, float[] hidden, int tokens, GateDecision[] routes, float[] out) {
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
        long elapsed = System.nanoTime() - start;
        layerSteps.increment();
        stepTimes.record(elapsed);
        DispatchMetrics m = metrics;
        if (m != null) {
            m.stepped(layer, elapsed);
        }
        stepNanos.add(elapsed);
        sendNanos.add(clock.send);
        waitNanos.add(clock.wait);
        mergeNanos.add(clock.merge);
        slowestServerNanos.add(clock.slowestServer);
    }

    /** One layer step's phases, every attempt added up (see {@link Phases}). Used by the step's thread only. */
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
        tokenLayers.add(tokens);
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
                    callCount.increment();
                    tokenSends.add(a.size());
                    bytesSent.add(request.getHidden().getData().size());
                    DispatchMetrics m = metrics;
                    if (m != null) {
                        m.sent(layer, a);
                    }
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
            bytesReceived.add(response.getOutput().getData().size());
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
            failedCalls.increment();
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
        return b.setHidden(WireTensors.encode(rows, a.size(), h, properties.wireDtype())).build();
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

    @Override
    public void close() {
        live.current().clients().forEach(ExpertClient::close);
        closeRetired();
    }
}
