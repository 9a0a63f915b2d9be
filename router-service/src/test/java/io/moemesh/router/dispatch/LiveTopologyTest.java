package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.Unit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Switching the topology under running layer steps, without gRPC: steps are entered and closed by hand. */
class LiveTopologyTest {

    private static final Duration LONG = Duration.ofSeconds(30);

    private final ExecutorService background = Executors.newCachedThreadPool();

    @AfterEach
    void stopBackground() {
        background.shutdownNow();
    }

    /** Two endpoints, "a" and "b", one layer of two experts: a hosts {@code aHosts}, b the rest. */
    private static ExpertTopology topology(String backend, int... aHosts) {
        DescribeResponse.Builder a = DescribeResponse.newBuilder().setHiddenSize(4).setBackend(backend);
        DescribeResponse.Builder b = DescribeResponse.newBuilder().setHiddenSize(4).setBackend(backend);
        for (int e = 0; e < 2; e++) {
            int expert = e;
            (IntStream.of(aHosts).anyMatch(x -> x == expert) ? a : b).addUnits(Unit.newBuilder().setExpert(expert));
        }
        return ExpertTopology.of(List.of("a", "b"), Map.of("a", a.build(), "b", b.build()), 1, 2, 4);
    }

    /** A topology on its own, without clients: these tests never call an endpoint. */
    private static Routing routing(ExpertTopology topology) {
        return new Routing(List.of(), topology);
    }

    private static ExpertTopology split() {
        return topology("test", 0);
    }

    private static ExpertTopology paired() {
        return topology("test", 0, 1);
    }

    @Test
    void aStepRoutesByTheTopologyItStartedOnWhileStepsStartedLaterRouteByTheNewOne() {
        ExpertTopology before = split();
        ExpertTopology after = paired();
        LiveTopology live = new LiveTopology(routing(before), LONG);
        LiveTopology.Step step = live.enter();
        background.submit(() -> live.replace(r -> routing(after)));
        await().atMost(Duration.ofSeconds(10)).until(() -> live.current().topology() == after);

        try (LiveTopology.Step later = live.enter()) {
            assertThat(later.topology()).isSameAs(after);
        }
        assertThat(step.topology()).isSameAs(before);
        step.close();
    }

    @Test
    void aReplacementReturnsOnlyOnceTheStepsOnTheOldTopologyHaveFinished() throws Exception {
        LiveTopology live = new LiveTopology(routing(split()), LONG);
        LiveTopology.Step first = live.enter();
        LiveTopology.Step second = live.enter();
        Future<LiveTopology.Snapshot> replaced = background.submit(() -> live.replace(r -> routing(paired())));
        await().atMost(Duration.ofSeconds(10)).until(() -> live.current().version() == 1);

        first.close();
        assertThat(replaced).as("one step still routes the old way").isNotDone();
        second.close();

        assertThat(replaced.get(10, TimeUnit.SECONDS).version()).isEqualTo(1);
    }

    @Test
    void aReplacementWithoutStepsInFlightReturnsAtOnce() throws Exception {
        LiveTopology live = new LiveTopology(routing(split()), LONG);
        try (LiveTopology.Step done = live.enter()) {
            assertThat(done.topology().hostsOf(0, 1)).containsExactly(1);
        }

        LiveTopology.Snapshot installed = live.replace(r -> routing(paired()));

        assertThat(installed.topology().hostsOf(0, 1)).containsExactly(0);
    }

    @Test
    void theVersionGoesUpOnlyWhenTheRoutingChanges() throws Exception {
        LiveTopology live = new LiveTopology(routing(split()), LONG);

        assertThat(live.replace(r -> routing(topology("other backend, same units", 0))).version()).isZero();
        assertThat(live.replace(r -> routing(paired())).version()).isEqualTo(1);
        assertThat(live.replace(r -> routing(paired())).version()).isEqualTo(1);
        assertThat(live.replace(r -> routing(split())).version()).isEqualTo(2);
    }

    @Test
    void aReplacementThatOutwaitsItsTimeoutKeepsTheNewTopologyAndTheNextOneWaitsForTheStragglerAgain()
            throws Exception {
        LiveTopology live = new LiveTopology(routing(split()), Duration.ofMillis(50));
        ExpertTopology next = paired();
        LiveTopology.Step straggler = live.enter();

        assertThatThrownBy(() -> live.replace(r -> routing(next))).isInstanceOf(TopologyDrainTimeoutException.class)
                .hasMessageContaining("1 layer step(s)").hasMessageContaining("version 1) is installed");
        assertThat(live.current().topology()).isSameAs(next);
        assertThatThrownBy(() -> live.replace(r -> routing(next))).isInstanceOf(TopologyDrainTimeoutException.class);
        straggler.close();

        assertThat(live.replace(r -> routing(next)).version()).isEqualTo(1);
    }

    @Test
    void aFailedRediscoveryLeavesTheTopologyAsItWas() {
        ExpertTopology before = split();
        LiveTopology live = new LiveTopology(routing(before), LONG);

        assertThatThrownBy(() -> live.replace(t -> {
            throw new IncompatibleEndpointException("wrong model");
        })).isInstanceOf(IncompatibleEndpointException.class);

        assertThat(live.current().topology()).isSameAs(before);
        assertThat(live.current().version()).isZero();
    }

    @Test
    void noStepOnAnEarlierTopologyIsStillOpenWhenAReplacementReturns() throws Exception {
        int replacements = 200;
        List<ExpertTopology> generations = new ArrayList<>();
        Map<ExpertTopology, Integer> generationOf = new IdentityHashMap<>();
        for (int g = 0; g <= replacements; g++) {
            generations.add(g % 2 == 0 ? split() : paired());
            generationOf.put(generations.get(g), g);
        }
        LiveTopology live = new LiveTopology(routing(generations.getFirst()), LONG);
        AtomicIntegerArray open = new AtomicIntegerArray(replacements + 1);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong steps = new AtomicLong();
        List<Future<?>> workers = IntStream.range(0, 3).<Future<?>>mapToObj(i -> background.submit(() -> {
            while (!stop.get()) {
                try (LiveTopology.Step step = live.enter()) {
                    int g = generationOf.get(step.topology());
                    open.incrementAndGet(g);
                    Thread.yield();
                    open.decrementAndGet(g);
                    steps.incrementAndGet();
                }
            }
        })).toList();

        int stillOpen = 0;
        for (int g = 1; g <= replacements; g++) {
            ExpertTopology next = generations.get(g);
            live.replace(r -> routing(next));
            for (int earlier = 0; earlier < g; earlier++) {
                stillOpen += open.get(earlier);
            }
        }
        stop.set(true);
        for (Future<?> w : workers) {
            w.get(10, TimeUnit.SECONDS);
        }

        assertThat(stillOpen).isZero();
        assertThat(steps.get()).as("the workers ran steps meanwhile").isPositive();
        assertThat(live.current().version()).isEqualTo(replacements);
    }
}
