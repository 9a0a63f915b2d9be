package io.moemesh.router.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.moemesh.router.dispatch.ExpertEndpoint;
import io.moemesh.testing.ManualClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The rules by which discovered endpoint sets reach the router: against endpoints in memory, with a
 * clock the test moves. Most tests call {@code reconcileOnce} themselves on a reconciler whose executor
 * is already shut down, so nothing runs behind their back; the last ones run it on its own thread.
 */
class ExpertEndpointsReconcilerTest {

    private static final Duration DEBOUNCE = Duration.ofMillis(500);
    private static final Duration GRACE = Duration.ofSeconds(30);
    private static final DiscoveryProperties PROPERTIES = new DiscoveryProperties(DEBOUNCE, GRACE, Duration.ofSeconds(30));
    private static final ExpertEndpoint A = new ExpertEndpoint("expert-0-a", "10.0.0.1:50061");
    private static final ExpertEndpoint B = new ExpertEndpoint("expert-1-b", "10.0.0.2:50061");
    private static final ExpertEndpoint C = new ExpertEndpoint("expert-2-c", "10.0.0.3:50061");

    private final ManualClock clock = new ManualClock();
    private ExpertEndpointsReconciler reconciler;

    @AfterEach
    void close() {
        if (reconciler != null) {
            reconciler.close();
        }
    }


    /** A reconciler that only acts when the test calls {@code reconcileOnce}. */
    private ExpertEndpointsReconciler manual(FakeExpertEndpoints endpoints) {
        ScheduledExecutorService stopped = Executors.newSingleThreadScheduledExecutor();
        stopped.shutdown();
        reconciler = new ExpertEndpointsReconciler(endpoints, PROPERTIES, clock, stopped);
        return reconciler;
    }

    /** A router that has applied {@code endpoints}, as discovery first reported them. */
    private ExpertEndpointsReconciler appliedOnce(FakeExpertEndpoints endpoints, List<ExpertEndpoint> first)
            throws InterruptedException {
        ExpertEndpointsReconciler r = manual(endpoints);
        r.onEndpoints(first);
        r.reconcileOnce();
        endpoints.reconciles.clear();
        return r;
    }

    @Test
    void appliesTheFirstReportAtOnce() throws Exception {
        FakeExpertEndpoints endpoints = new FakeExpertEndpoints(List.of());
        ExpertEndpointsReconciler r = manual(endpoints);

        r.onEndpoints(List.of(A, B));

        assertThat(r.reconcileOnce()).isEmpty();
        assertThat(endpoints.reconciles).containsExactly(List.of(A, B));
    }

    @Test
    void doesNothingWhileTheRouterAlreadyHasTheReportedEndpointsInAnyOrder() throws Exception {
        FakeExpertEndpoints endpoints = new FakeExpertEndpoints(List.of(A, B));
        ExpertEndpointsReconciler r = manual(endpoints);

        r.onEndpoints(List.of(B, A));

        assertThat(r.reconcileOnce()).isEmpty();
        assertThat(endpoints.reconciles).isEmpty();
    }

    @Test
    void appliesALaterChangeOneDebounceAfterItWasFirstReportedWithTheNewestSet() throws Exception {
        FakeExpertEndpoints endpoints = new FakeExpertEndpoints(List.of());
        ExpertEndpointsReconciler r = appliedOnce(endpoints, List.of(A));
        Instant firstChange = clock.instant();

        r.onEndpoints(List.of(A, B));
        assertThat(r.reconcileOnce()).contains(firstChange.plus(DEBOUNCE));
        clock.advance(DEBOUNCE.dividedBy(2));
        r.onEndpoints(List.of(A, B, C)); // does not push the due time back: churn cannot starve the switch
        assertThat(r.reconcileOnce()).contains(firstChange.plus(DEBOUNCE));
        assertThat(endpoints.reconciles).isEmpty();
        clock.advance(DEBOUNCE.dividedBy(2));

        assertThat(r.reconcileOnce()).isEmpty();
        assertThat(endpoints.reconciles).containsExactly(List.of(A, B, C));
    }

    @Test
    void holdsTheLastNonEmptySetWhileAnEmptyReportIsYoungerThanTheGrace() throws Exception {
        FakeExpertEndpoints endpoints = new FakeExpertEndpoints(List.of());
        ExpertEndpointsReconciler r = appliedOnce(endpoints, List.of(A, B));
        Instant emptied = clock.instant();

        r.onEndpoints(List.of());
        clock.advance(GRACE.minusMillis(1));

        assertThat(r.reconcileOnce()).contains(emptied.plus(GRACE));
        assertThat(endpoints.reconciles).isEmpty();
        assertThat(endpoints.current()).containsExactly(A, B);
    }

    @Test
    void dropsTheEndpointsOnceTheEmptyReportHasLastedTheGrace() throws Exception {
        FakeExpertEndpoints endpoints = new FakeExpertEndpoints(List.of());
        ExpertEndpointsReconciler r = appliedOnce(endpoints, List.of(A, B));
        r.onEndpoints(List.of());
        r.reconcileOnce();
        clock.advance(GRACE);

        assertThat(r.reconcileOnce()).isEmpty();
        assertThat(endpoints.reconciles).containsExactly(List.of());
        assertThat(endpoints.current()).isEmpty();
    }

    @Test
    void aNonEmptyReportDuringTheGraceEndsTheWaitAndALaterEmptyOneWaitsAFullGraceAgain() throws Exception {
        FakeExpertEndpoints endpoints = new FakeExpertEndpoints(List.of());
        ExpertEndpointsReconciler r = appliedOnce(endpoints, List.of(A, B));
        r.onEndpoints(List.of());
        clock.advance(GRACE.minusSeconds(1));
        r.onEndpoints(List.of(A, B, C));
        clock.advance(DEBOUNCE);
        r.reconcileOnce();
        assertThat(endpoints.reconciles).containsExactly(List.of(A, B, C));

        Instant emptiedAgain = clock.instant();
        r.onEndpoints(List.of());
        clock.advance(DEBOUNCE);

        assertThat(r.reconcileOnce()).contains(emptiedAgain.plus(GRACE));
        assertThat(endpoints.current()).containsExactly(A, B, C);
    }

    @Test
    void anEmptyFirstReportOfARouterWithoutEndpointsIsNothingToHold() throws Exception {
        FakeExpertEndpoints endpoints = new FakeExpertEndpoints(List.of());
        ExpertEndpointsReconciler r = manual(endpoints);

        r.onEndpoints(List.of());

        assertThat(r.reconcileOnce()).isEmpty();
        assertThat(endpoints.reconciles).isEmpty();
    }

    @Test
    void asksAgainWhenAnEndpointHasNotAnsweredDescribeEvenIfTheSetIsTheSame() throws Exception {
        FakeExpertEndpoints endpoints = new FakeExpertEndpoints(List.of(A, B));
        endpoints.silent.add(B.id());
        ExpertEndpointsReconciler r = manual(endpoints);

        r.onEndpoints(List.of(A, B));
        r.reconcileOnce();

        assertThat(endpoints.reconciles).containsExactly(List.of(A, B));
    }

    @Test
    void aFailedSwitchIsRetriedAtTheNextLookWithoutWaitingForNews() throws Exception {
        FakeExpertEndpoints endpoints = new FakeExpertEndpoints(List.of());
        ExpertEndpointsReconciler r = manual(endpoints);
        endpoints.failNextReconcile(new IllegalStateException("API server hiccup"));
        r.onEndpoints(List.of(A));

        assertThatThrownBy(r::reconcileOnce).hasMessage("API server hiccup");
        r.reconcileOnce();

        assertThat(endpoints.current()).containsExactly(A);
    }

    @Test
    void theFirstReconcileCompletesOnlyOnceTheFirstReportIsAppliedAndNotBeforeAFailedSwitchSucceeds()
            throws Exception {
        FakeExpertEndpoints endpoints = new FakeExpertEndpoints(List.of());
        ExpertEndpointsReconciler r = manual(endpoints);
        boolean beforeAnyReport = r.firstReconcile().toCompletableFuture().isDone();
        endpoints.failNextReconcile(new IllegalStateException("API server hiccup"));
        r.onEndpoints(List.of(A));
        assertThatThrownBy(r::reconcileOnce).hasMessage("API server hiccup");
        boolean afterFailedSwitch = r.firstReconcile().toCompletableFuture().isDone();

        r.reconcileOnce();

        assertThat(beforeAnyReport).isFalse();
        assertThat(afterFailedSwitch).isFalse();
        assertThat(r.firstReconcile().toCompletableFuture()).isCompleted();
    }

    @Test
    void anEmptyFirstReportCompletesTheFirstReconcile() throws Exception {
        ExpertEndpointsReconciler r = manual(new FakeExpertEndpoints(List.of()));

        r.onEndpoints(List.of());
        r.reconcileOnce();

        assertThat(r.firstReconcile().toCompletableFuture()).isCompleted();
    }

    /** Discovery the test drives by hand. */
    private static final class ScriptedDiscovery implements ExpertDiscovery {
        final AtomicReference<Listener> listener = new AtomicReference<>();
        final AtomicBoolean closed = new AtomicBoolean();

        @Override
        public Subscription subscribe(Listener l) {
            listener.set(l);
            return () -> closed.set(true);
        }
    }

    @Test
    void followsDiscoveryOnItsOwnThreadAndWaitsOutTheGraceBeforeDroppingEverything() {
        FakeExpertEndpoints endpoints = new FakeExpertEndpoints(List.of());
        Duration grace = Duration.ofMillis(300);
        reconciler = new ExpertEndpointsReconciler(endpoints, new DiscoveryProperties(Duration.ofMillis(20), grace,
                Duration.ofSeconds(30)), Clock.systemUTC(), Executors.newSingleThreadScheduledExecutor());
        ScriptedDiscovery discovery = new ScriptedDiscovery();
        ExpertDiscovery.Subscription subscription = reconciler.follow(discovery);

        discovery.listener.get().onEndpoints(List.of(A, B));
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoints.current().equals(List.of(A, B)));
        discovery.listener.get().onEndpoints(List.of(B, C));
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoints.current().equals(List.of(B, C)));
        long emptied = System.nanoTime();
        discovery.listener.get().onEndpoints(List.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoints.current().isEmpty());

        assertThat(Duration.ofNanos(System.nanoTime() - emptied)).isGreaterThanOrEqualTo(grace);
        assertThat(endpoints.reconciles).containsExactly(List.of(A, B), List.of(B, C), List.of());
        subscription.close();
        assertThat(discovery.closed).isTrue();
    }

    @Test
    void aSwitchThatThrowsAnErrorDoesNotEndThePeriodicResync() {
        FakeExpertEndpoints endpoints = new FakeExpertEndpoints(List.of());
        // the look the report triggers fails, then the first resync's: only a later resync can succeed
        endpoints.failNextReconciles(2, new AssertionError("an invariant of the new topology does not hold"));
        reconciler = new ExpertEndpointsReconciler(endpoints, new DiscoveryProperties(Duration.ZERO, GRACE,
                Duration.ofMillis(50)), Clock.systemUTC(), Executors.newSingleThreadScheduledExecutor());
        ScriptedDiscovery discovery = new ScriptedDiscovery();
        reconciler.follow(discovery);

        discovery.listener.get().onEndpoints(List.of(A));

        await().atMost(Duration.ofSeconds(10)).until(() -> endpoints.current().equals(List.of(A)));
        assertThat(endpoints.reconciles).containsExactly(List.of(A));
    }

    @Test
    void closingTheSubscriptionStopsDiscoveryAndTheReconcilersThread() {
        FakeExpertEndpoints endpoints = new FakeExpertEndpoints(List.of());
        ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
        reconciler = new ExpertEndpointsReconciler(endpoints, PROPERTIES, Clock.systemUTC(), thread);
        ScriptedDiscovery discovery = new ScriptedDiscovery();

        reconciler.follow(discovery).close();
        discovery.listener.get().onEndpoints(List.of(A)); // a late report, as discovery stops

        assertThat(discovery.closed).isTrue();
        assertThat(thread.isTerminated()).isTrue();
        assertThat(endpoints.reconciles).isEmpty();
    }
}
