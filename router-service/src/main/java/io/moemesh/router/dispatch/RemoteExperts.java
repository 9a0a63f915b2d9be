package io.moemesh.router.dispatch;

import io.grpc.ManagedChannel;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.ExpertsUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The experts, over gRPC: the router's side of the {@link ExpertDispatch} seam. This class owns the
 * endpoints' lifecycle: it connects to them, follows what they host ({@link #refresh}) and which of them
 * exist ({@link #reconcile}), and closes them. A layer step is {@link LayerDispatch}'s job (one Compute
 * call per endpoint, a retry on another replica, the partial sums added bit for bit as in process);
 * what the steps sent and received is counted by {@link TrafficCounters} and read as {@link #traffic()}.
 *
 * <p>Which endpoint hosts which unit can change while the router runs, and so can the set of
 * endpoints: a layer step routes by the endpoints and topology current when it started, both attempts,
 * to its end. It reads them once, without a lock.
 */
public final class RemoteExperts implements ExpertDispatch, DynamicExpertEndpoints, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RemoteExperts.class);

    private final ExpertConnections connections;
    /** Clients of removed endpoints that steps may still use: closed after a later switch drains. */
    private final Set<ExpertClient> retired = ConcurrentHashMap.newKeySet();
    private final TrafficCounters traffic = new TrafficCounters();
    private final LiveTopology live;
    private final LayerDispatch steps;

    private RemoteExperts(Routing routing, ExpertConnections connections, DispatchTracing tracing) {
        this.connections = connections;
        // a step makes at most ATTEMPTS rounds of calls, each bounded by the call timeout
        this.live = new LiveTopology(routing, connections.properties().callTimeout()
                .multipliedBy(LayerDispatch.ATTEMPTS).plus(Duration.ofSeconds(1)));
        this.steps = new LayerDispatch(live, routing.topology().hiddenSize(), connections.properties().wireDtype(),
                tracing, traffic);
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
        return connect(endpoints, new ExpertConnections(channels, properties, Clock.systemUTC()), numLayers,
                numExperts, hiddenSize, tracing);
    }

    /**
     * Connects through {@code connections}, now and for the endpoints {@link #reconcile} adds; their
     * breakers read the time from its clock, so a test can move it past an open breaker's wait.
     */
    static RemoteExperts connect(List<ExpertEndpoint> endpoints, ExpertConnections connections, int numLayers,
            int numExperts, int hiddenSize, DispatchTracing tracing) {
        EndpointSetChange.requireUniqueIds(endpoints);
        List<ExpertClient> clients = endpoints.stream().map(connections::open).toList();
        Routing routing = new Routing(clients, ExpertTopology.discover(clients, numLayers, numExperts, hiddenSize));
        return new RemoteExperts(routing, connections, tracing);
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
        EndpointSetChange change = new EndpointSetChange(endpoints, connections);
        LiveTopology.Snapshot installed;
        try {
            installed = live.replace(change::apply);
        } catch (TopologyDrainTimeoutException | InterruptedException e) {
            // installed, but steps may still call the removed endpoints: close their clients later
            retired.addAll(change.removedClients());
            change.closeUnused();
            traffic.endpointsChanged();
            throw e;
        } catch (RuntimeException e) {
            change.closeOpened(); // nothing was installed
            throw e;
        }
        change.closeUnused();
        change.removedClients().forEach(ExpertClient::close);
        closeRetired();
        traffic.endpointsChanged();
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
        traffic.publishTo(next);
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
     * Nanoseconds of one layer step, or summed over the completed layer steps: whole steps; building and
     * starting the calls; waiting for the answers; decoding them and adding the partial sums; and per step
     * the longest time an expert reported spending on one of its calls (queue and compute), its part of
     * the wait.
     */
    public record Phases(long stepNanos, long sendNanos, long waitNanos, long mergeNanos, long slowestServerNanos) {
    }

    public Traffic traffic() {
        return traffic.snapshot();
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
        steps.combine(layer, hidden, tokens, routes, out);
    }

    @Override
    public void close() {
        live.current().clients().forEach(ExpertClient::close);
        closeRetired();
    }
}
