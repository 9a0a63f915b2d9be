package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.core.model.ExpertsUnavailableException;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.proto.internal.v1.DescribeResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Make-before-break re-placement, the router's step: after an endpoint starts hosting a partner unit,
 * a refresh switches new layer steps to it, and waits for the steps still routed the old way.
 */
class RemoteExpertsRefreshTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    /** Experts 0 and 1: on endpoints 0 and 1 with one service per expert, until endpoint 0 also hosts 1. */
    private static final int[][] PAIR = {{0, 1}};
    /** One failed call opens a breaker, for a minute. */
    private static final DispatchProperties ONE_FAILURE_OPENS =
            DispatchProperties.builder().callTimeout(Duration.ofSeconds(30)).breakerWindow(1).breakerOpenFor(Duration.ofMinutes(1)).build();

    private static ModelConfig config;
    private final ExecutorService background = Executors.newCachedThreadPool();

    @BeforeAll
    static void loadConfig() {
        config = ModelConfig.load(MODEL);
    }

    @AfterEach
    void stopBackground() {
        background.shutdownNow();
    }

    private static ExpertCluster onePerExpert() {
        return new ExpertCluster(MODEL, IntStream.range(0, config.numExperts()).mapToObj(Set::of).toList());
    }

    private static RemoteExperts connect(ExpertCluster cluster) {
        return connect(cluster, DispatchProperties.defaults());
    }

    private static RemoteExperts connect(ExpertCluster cluster, DispatchProperties properties) {
        return RemoteExperts.connect(cluster.endpoints, ExpertCluster::channel, config.numLayers(), config.numExperts(),
                config.hiddenSize(), properties);
    }

    private static float[] combine(ExpertDispatch experts, int[][] routes) {
        return LayerZero.combine(experts, config.hiddenSize(), routes);
    }

    private static float[] inProcess(int[][] routes) {
        return LayerZero.inProcess(MODEL, routes);
    }

    private CompletableFuture<ExpertEndpoints.State> refreshInBackground(RemoteExperts experts) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return experts.refresh();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, background);
    }

    @Test
    void beforeARefreshATokenStillGoesToBothEndpointsOfItsPair() {
        try (ExpertCluster cluster = onePerExpert(); RemoteExperts experts = connect(cluster)) {
            cluster.host(0, 1);

            combine(experts, PAIR);

            assertThat(experts.traffic().tokenSends()).isEqualTo(2);
            assertThat(cluster.services.get(1).computeCalls.get()).isEqualTo(1);
        }
    }

    @Test
    void afterARefreshATokenWhosePairIsNowCoHostedGoesToThatEndpointOnly() throws Exception {
        try (ExpertCluster cluster = onePerExpert(); RemoteExperts experts = connect(cluster)) {
            cluster.host(0, 1);

            experts.refresh();
            float[] out = combine(experts, PAIR);

            assertThat(experts.traffic().tokenSends()).isEqualTo(1);
            assertThat(cluster.services.get(0).computeCalls.get()).isEqualTo(1);
            assertThat(cluster.services.get(1).computeCalls.get()).isZero();
            assertThat(out).containsExactly(inProcess(PAIR));
        }
    }

    @Test
    void aStepInFlightDuringARefreshFinishesOnTheOldTopologyAndTheRefreshWaitsForIt() throws Exception {
        try (ExpertCluster cluster = onePerExpert(); RemoteExperts experts = connect(cluster)) {
            FakeExpertService second = cluster.services.get(1);
            second.hold.set(true);
            CompletableFuture<float[]> inFlight =
                    CompletableFuture.supplyAsync(() -> combine(experts, PAIR), background);
            await().atMost(Duration.ofSeconds(10)).until(() -> second.heldCalls() == 1);
            cluster.host(0, 1);

            CompletableFuture<ExpertEndpoints.State> refresh = refreshInBackground(experts);
            await().atMost(Duration.ofSeconds(10)).until(() -> experts.state().topologyVersion() == 1);
            combine(experts, PAIR); // starts on the new topology: endpoint 0 alone

            assertThat(refresh).as("the step on the old topology is still in flight").isNotDone();
            second.releaseHeld();
            assertThat(inFlight.get(10, TimeUnit.SECONDS)).containsExactly(inProcess(PAIR));
            assertThat(refresh.get(10, TimeUnit.SECONDS).topologyVersion()).isEqualTo(1);
            assertThat(second.computeCalls.get()).as("only the call of the step that started before").isEqualTo(1);
            assertThat(experts.traffic().tokenSends()).as("two sends before the switch, one after").isEqualTo(3);
        }
    }

    @Test
    void anEndpointThatDoesNotAnswerDescribeKeepsItsPreviousDescription() throws Exception {
        try (ExpertCluster cluster = onePerExpert(); RemoteExperts experts = connect(cluster)) {
            DescribeResponse before = experts.state().endpoints().get(2).description().orElseThrow();
            cluster.services.get(2).describeDown.set(true);
            cluster.host(0, 1);

            ExpertEndpoints.State state = experts.refresh();

            assertThat(state.topologyVersion()).as("endpoint 0's change still applies").isEqualTo(1);
            assertThat(state.endpoints().get(2).description()).contains(before);
            assertThat(experts.topology().hostsOf(0, 2)).containsExactly(2);
            assertThat(experts.topology().hostsOf(0, 1)).containsExactly(0, 1);
        }
    }

    @Test
    void anEndpointThatNeverAnsweredHostsNothingUntilARefreshReachesIt() throws Exception {
        try (ExpertCluster cluster = onePerExpert()) {
            cluster.services.get(2).describeDown.set(true);
            try (RemoteExperts experts = connect(cluster)) {
                assertThat(experts.state().endpoints().get(2).description()).isEmpty();
                assertThat(experts.isAvailable(0, 2)).isFalse();
                cluster.services.get(2).describeDown.set(false);

                ExpertEndpoints.State state = experts.refresh();

                assertThat(state.topologyVersion()).isEqualTo(1);
                assertThat(state.endpoints().get(2).description()).hasValueSatisfying(
                        d -> assertThat(d.getUnitsCount()).isEqualTo(config.numLayers()));
                assertThat(experts.isAvailable(0, 2)).isTrue();
            }
        }
    }

    @Test
    void theVersionGoesUpOnlyWhenARefreshChangesTheTopology() throws Exception {
        try (ExpertCluster cluster = onePerExpert(); RemoteExperts experts = connect(cluster)) {
            assertThat(experts.refresh().topologyVersion()).isZero();
            cluster.host(0, 1);
            assertThat(experts.refresh().topologyVersion()).isEqualTo(1);
            assertThat(experts.refresh().topologyVersion()).isEqualTo(1);
            assertThat(experts.state().topologyVersion()).isEqualTo(1);
        }
    }

    @Test
    void theStateListsEachEndpointsTargetDescriptionAndWhetherItAcceptsWork() {
        try (ExpertCluster cluster = onePerExpert(); RemoteExperts experts = connect(cluster, ONE_FAILURE_OPENS)) {
            cluster.services.get(3).down.set(true);
            assertThat(catchThrowable(() -> combine(experts, new int[][] {{3}})))
                    .isInstanceOf(ExpertsUnavailableException.class);

            List<ExpertEndpoints.EndpointState> endpoints = experts.state().endpoints();

            assertThat(endpoints).extracting(e -> e.endpoint().target())
                    .containsExactlyElementsOf(cluster.endpoints.stream().map(ExpertEndpoint::target).toList());
            assertThat(endpoints.get(5).description()).hasValueSatisfying(d -> {
                assertThat(d.getHiddenSize()).isEqualTo(config.hiddenSize());
                assertThat(d.getUnitsList()).allSatisfy(u -> assertThat(u.getExpert()).isEqualTo(5))
                        .hasSize(config.numLayers());
            });
            assertThat(endpoints).filteredOn(e -> !e.accepting()).extracting(e -> e.endpoint().id())
                    .containsExactly("endpoint-3");
        }
    }

    @Test
    void anEndpointDescribingUnitsOutsideTheModelFailsTheRefreshAndChangesNothing() {
        try (ExpertCluster cluster = onePerExpert(); RemoteExperts experts = connect(cluster);
                Checkpoint checkpoint = Checkpoint.open(MODEL)) {
            cluster.host(0, 1);
            cluster.services.get(4).host(config.numLayers(), 4, ExpertWeights.load(checkpoint, config, 0, 4));

            assertThatThrownBy(experts::refresh).isInstanceOf(IncompatibleEndpointException.class)
                    .hasMessageContaining("endpoint-4 hosts unit (" + config.numLayers() + ", 4) outside the model");
            assertThat(experts.state().topologyVersion()).isZero();
            assertThat(experts.topology().hostsOf(0, 1)).containsExactly(1);
        }
    }
}
