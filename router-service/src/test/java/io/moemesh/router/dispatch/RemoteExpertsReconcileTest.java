package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.core.model.ExpertsUnavailableException;
import io.moemesh.core.safetensors.Checkpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Endpoints joining and leaving while the router runs (Kubernetes discovery): a new endpoint is asked
 * what it hosts before any step uses it, one that left gets no more work once the steps that started
 * with it have finished, and results stay those of the in-process experts.
 */
class RemoteExpertsReconcileTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final int[][] PAIR = {{0, 1}};
    /** One failed call opens a breaker, for a minute. */
    private static final DispatchProperties ONE_FAILURE_OPENS =
            DispatchProperties.builder().callTimeout(Duration.ofSeconds(30)).breakerWindow(1).breakerOpenFor(Duration.ofMinutes(1)).build();

    private static ModelConfig config;
    private final ExecutorService background = Executors.newCachedThreadPool();
    /** Every channel the router opened, by endpoint, in order. */
    private final Map<ExpertEndpoint, List<ManagedChannel>> channels = new ConcurrentHashMap<>();

    @BeforeAll
    static void loadConfig() {
        config = ModelConfig.load(MODEL);
    }

    @AfterEach
    void stopBackground() {
        background.shutdownNow();
    }

    /** Endpoint i hosts expert i (i < 8); endpoint 8 hosts experts 0 and 1: a replica of both. */
    private static ExpertCluster cluster() {
        List<Set<Integer>> placement = new ArrayList<>(IntStream.range(0, config.numExperts()).mapToObj(Set::of).toList());
        placement.add(Set.of(0, 1));
        return new ExpertCluster(MODEL, placement);
    }

    private static List<ExpertEndpoint> endpoints(ExpertCluster cluster, int... indices) {
        return IntStream.of(indices).mapToObj(cluster.endpoints::get).toList();
    }

    private static int[] range(int from, int to) {
        return IntStream.range(from, to).toArray();
    }

    private RemoteExperts connect(List<ExpertEndpoint> endpoints, DispatchProperties properties) {
        return RemoteExperts.connect(endpoints, e -> {
            ManagedChannel channel = ExpertCluster.channel(e);
            channels.computeIfAbsent(e, k -> new ArrayList<>()).add(channel);
            return channel;
        }, config.numLayers(), config.numExperts(), config.hiddenSize(), properties);
    }

    private RemoteExperts connect(List<ExpertEndpoint> endpoints) {
        return connect(endpoints, DispatchProperties.defaults());
    }

    private ManagedChannel channelOf(ExpertEndpoint endpoint) {
        assertThat(channels.get(endpoint)).as("channels opened for " + endpoint).hasSize(1);
        return channels.get(endpoint).getFirst();
    }

    private static float[] combine(ExpertDispatch experts, int[][] routes) {
        return LayerZero.combine(experts, config.hiddenSize(), routes);
    }

    private static float[] inProcess(int[][] routes) {
        return LayerZero.inProcess(MODEL, routes);
    }

    private CompletableFuture<DynamicExpertEndpoints.Change> reconcileInBackground(RemoteExperts experts,
            List<ExpertEndpoint> endpoints) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return experts.reconcile(endpoints);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, background);
    }

    @Test
    void anAddedEndpointIsAskedWhatItHostsBeforeAnyStepUsesIt() throws Exception {
        try (ExpertCluster cluster = cluster(); RemoteExperts experts = connect(endpoints(cluster, range(0, 7)))) {
            assertThat(experts.isAvailable(0, 7)).as("no endpoint hosts expert 7 yet").isFalse();

            DynamicExpertEndpoints.Change change = experts.reconcile(endpoints(cluster, range(0, 8)));

            assertThat(change.added()).containsExactly(cluster.endpoints.get(7));
            assertThat(change.removed()).isEmpty();
            assertThat(change.state().topologyVersion()).isEqualTo(1);
            assertThat(change.state().endpoints().get(7).description()).isPresent();
            assertThat(cluster.services.get(7).describeCalls).hasValue(1);
            assertThat(cluster.services.get(7).computeCalls).as("described, not yet used").hasValue(0);
            assertThat(experts.isAvailable(0, 7)).isTrue();
            assertThat(combine(experts, new int[][] {{7}})).containsExactly(inProcess(new int[][] {{7}}));
        }
    }

    @Test
    void endpointsThatStayAreNotAskedAgainAndKeepTheirClientAndBreaker() throws Exception {
        try (ExpertCluster cluster = cluster();
                RemoteExperts experts = connect(endpoints(cluster, range(0, 8)), ONE_FAILURE_OPENS)) {
            cluster.services.get(3).down.set(true);
            assertThatThrownBy(() -> combine(experts, new int[][] {{3}}))
                    .isInstanceOf(ExpertsUnavailableException.class);

            DynamicExpertEndpoints.Change change = experts.reconcile(endpoints(cluster, range(0, 9)));

            assertThat(change.added()).containsExactly(cluster.endpoints.get(8));
            assertThat(IntStream.range(0, 8).map(i -> cluster.services.get(i).describeCalls.get())).containsOnly(1);
            assertThat(channels.get(cluster.endpoints.get(3))).as("the same client, not a new one").hasSize(1);
            assertThat(change.state().endpoints()).filteredOn(e -> !e.accepting()).extracting(e -> e.endpoint().id())
                    .as("its breaker is still open").containsExactly("endpoint-3");
        }
    }

    @Test
    void aRemovedEndpointGetsNoMoreWorkAndItsClientIsClosed() throws Exception {
        try (ExpertCluster cluster = cluster(); RemoteExperts experts = connect(endpoints(cluster, range(0, 9)))) {
            DynamicExpertEndpoints.Change change = experts.reconcile(endpoints(cluster, range(1, 9)));
            float[] out = combine(experts, new int[][] {{0}});

            assertThat(change.removed()).containsExactly(cluster.endpoints.get(0));
            assertThat(change.state().endpoints()).extracting(e -> e.endpoint().id()).doesNotContain("endpoint-0");
            assertThat(channelOf(cluster.endpoints.get(0)).isShutdown()).isTrue();
            assertThat(cluster.services.get(0).computeCalls).hasValue(0);
            assertThat(cluster.services.get(8).computeCalls).as("the replica took over").hasValue(1);
            assertThat(out).containsExactly(inProcess(new int[][] {{0}}));
        }
    }

    @Test
    void aStepInFlightOnARemovedEndpointFinishesAndTheSwitchWaitsForIt() throws Exception {
        try (ExpertCluster cluster = cluster(); RemoteExperts experts = connect(endpoints(cluster, range(0, 8)))) {
            FakeExpertService leaving = cluster.services.get(1);
            leaving.hold.set(true);
            CompletableFuture<float[]> inFlight = CompletableFuture.supplyAsync(() -> combine(experts, PAIR), background);
            await().atMost(Duration.ofSeconds(10)).until(() -> leaving.heldCalls() == 1);

            // endpoint 1 leaves; endpoint 8, hosting experts 0 and 1, joins
            CompletableFuture<DynamicExpertEndpoints.Change> reconcile = reconcileInBackground(experts,
                    endpoints(cluster, 0, 2, 3, 4, 5, 6, 7, 8));
            await().atMost(Duration.ofSeconds(10)).until(() -> experts.state().topologyVersion() == 1);
            float[] later = combine(experts, PAIR);

            assertThat(reconcile).as("a step that started with endpoint 1 is still in flight").isNotDone();
            assertThat(channelOf(cluster.endpoints.get(1)).isShutdown()).isFalse();
            leaving.releaseHeld();
            assertThat(inFlight.get(10, TimeUnit.SECONDS)).containsExactly(inProcess(PAIR));
            assertThat(reconcile.get(10, TimeUnit.SECONDS).removed()).containsExactly(cluster.endpoints.get(1));
            assertThat(channelOf(cluster.endpoints.get(1)).isShutdown()).isTrue();
            assertThat(leaving.computeCalls).as("only the step that started before the switch").hasValue(1);
            assertThat(cluster.services.get(8).computeCalls).as("the pair is co-hosted there").hasValue(1);
            assertThat(later).containsExactly(inProcess(PAIR));
        }
    }

    @Test
    void anEndpointThatKeptItsIdButMovedGetsANewClient() throws Exception {
        try (ExpertCluster cluster = cluster(); RemoteExperts experts = connect(endpoints(cluster, range(0, 8)))) {
            ExpertEndpoint before = cluster.endpoints.get(0);
            ExpertEndpoint moved = new ExpertEndpoint(before.id(), cluster.endpoints.get(8).target());
            List<ExpertEndpoint> next = new ArrayList<>(endpoints(cluster, range(0, 8)));
            next.set(0, moved);

            DynamicExpertEndpoints.Change change = experts.reconcile(next);

            assertThat(change.added()).containsExactly(moved);
            assertThat(change.removed()).containsExactly(before);
            assertThat(channelOf(before).isShutdown()).isTrue();
            assertThat(experts.topology().hostsOf(0, 1)).as("what the new address hosts").containsExactly(0, 1);
            assertThat(combine(experts, PAIR)).containsExactly(inProcess(PAIR));
            assertThat(cluster.services.get(8).computeCalls).hasValue(1);
        }
    }

    @Test
    void aNewEndpointServingAnotherModelIsLeftOutAndTheOthersStillJoin() throws Exception {
        try (ExpertCluster cluster = cluster(); RemoteExperts experts = connect(endpoints(cluster, range(0, 7)));
                Checkpoint checkpoint = Checkpoint.open(MODEL)) {
            cluster.services.get(7).host(config.numLayers(), 7, ExpertWeights.load(checkpoint, config, 0, 7));

            DynamicExpertEndpoints.Change change = experts.reconcile(endpoints(cluster, range(0, 9)));

            assertThat(change.rejected()).containsExactly(cluster.endpoints.get(7));
            assertThat(change.added()).containsExactly(cluster.endpoints.get(8));
            assertThat(change.state().endpoints()).extracting(e -> e.endpoint().id()).doesNotContain("endpoint-7");
            assertThat(channelOf(cluster.endpoints.get(7)).isShutdown()).isTrue();
            assertThat(experts.isAvailable(0, 7)).isFalse();
        }
    }

    @Test
    void aKeptEndpointThatNeverAnsweredDescribeIsAskedAgain() throws Exception {
        try (ExpertCluster cluster = cluster()) {
            cluster.services.get(2).describeDown.set(true);
            try (RemoteExperts experts = connect(endpoints(cluster, range(0, 8)))) {
                cluster.services.get(2).describeDown.set(false);

                DynamicExpertEndpoints.Change change = experts.reconcile(endpoints(cluster, range(0, 8)));

                assertThat(change.added()).isEmpty();
                assertThat(change.state().endpoints().get(2).description()).isPresent();
                assertThat(change.state().topologyVersion()).isEqualTo(1);
                assertThat(cluster.services.get(3).describeCalls).as("answered before: not asked again").hasValue(1);
                assertThat(experts.isAvailable(0, 2)).isTrue();
            }
        }
    }

    @Test
    void withoutEndpointsEveryExpertIsUnavailableUntilAReconcileBringsSome() throws Exception {
        try (ExpertCluster cluster = cluster(); RemoteExperts experts = connect(List.of())) {
            assertThat(IntStream.range(0, config.numExperts()).filter(e -> experts.isAvailable(0, e))).isEmpty();
            assertThatThrownBy(() -> combine(experts, PAIR)).isInstanceOf(ExpertsUnavailableException.class);

            experts.reconcile(endpoints(cluster, range(0, 8)));

            assertThat(combine(experts, PAIR)).containsExactly(inProcess(PAIR));
        }
    }

    @Test
    void reconcilingTheSameEndpointsChangesNothing() throws Exception {
        try (ExpertCluster cluster = cluster(); RemoteExperts experts = connect(endpoints(cluster, range(0, 8)))) {
            DynamicExpertEndpoints.Change change = experts.reconcile(endpoints(cluster, range(0, 8)));

            assertThat(change.changedEndpoints()).isFalse();
            assertThat(change.state().topologyVersion()).isZero();
            assertThat(IntStream.range(0, 8).map(i -> cluster.services.get(i).describeCalls.get())).containsOnly(1);
        }
    }

    @Test
    void twoEndpointsWithOneIdAreRefusedAndNothingChanges() {
        try (ExpertCluster cluster = cluster(); RemoteExperts experts = connect(endpoints(cluster, range(0, 8)))) {
            ExpertEndpoint twin = new ExpertEndpoint("endpoint-0", cluster.endpoints.get(8).target());

            assertThatThrownBy(() -> experts.reconcile(List.of(cluster.endpoints.get(0), twin)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("endpoint-0 appears twice");
            assertThat(experts.state().endpoints()).hasSize(8);
            assertThat(channels).doesNotContainKey(twin);
        }
    }
}
