package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.common.util.concurrent.ListenableFuture;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.proto.codec.WireTensors;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.TokenRoute;
import io.moemesh.testing.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One endpoint's bulkhead: calls over the limit are refused at once, and every admitted call gives its
 * permit back. Its breaker's wait passes on a {@link ManualClock}, never on the real time.
 */
class ExpertClientTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final int HIDDEN = ModelConfig.load(MODEL).hiddenSize();
    private static final Duration LONG = Duration.ofSeconds(30);

    private ExpertCluster cluster;
    private FakeExpertService expert;
    private final List<ExpertClient> clients = new ArrayList<>();
    private final ManualClock clock = new ManualClock();

    @BeforeEach
    void startExpert() {
        cluster = new ExpertCluster(MODEL, List.of(Set.of(0)));
        expert = cluster.services.getFirst();
    }

    @AfterEach
    void stop() {
        clients.forEach(ExpertClient::close);
        cluster.close();
    }

    private static DispatchProperties properties(Duration callTimeout, int breakerWindow, int maxConcurrentCalls) {
        return DispatchProperties.builder().callTimeout(callTimeout).breakerWindow(breakerWindow)
                .breakerOpenFor(Duration.ofMinutes(1)).maxConcurrentCalls(maxConcurrentCalls).build();
    }

    private ExpertClient client(DispatchProperties properties) {
        return client(ExpertCluster.channel(cluster.endpoints.getFirst()), properties);
    }

    private ExpertClient client(ManagedChannel channel, DispatchProperties properties) {
        ExpertClient client = new ExpertClient(cluster.endpoints.getFirst(), channel, properties, clock);
        clients.add(client);
        return client;
    }

    /** One token for expert 0 of layer 0. */
    private static ComputeRequest oneToken() {
        return ComputeRequest.newBuilder().setLayer(0)
                .addRoutes(TokenRoute.newBuilder().addExperts(0).addWeights(1f))
                .setHidden(WireTensors.encode(new float[HIDDEN], 1, HIDDEN, DType.DTYPE_F32)).build();
    }

    private static void awaitNoCallsInFlight(ExpertClient client) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(client.callsInFlight()).isZero());
    }

    @Test
    void releasesThePermitWhenACallSucceeds() throws Exception {
        ExpertClient client = client(properties(LONG, 10, 4));
        expert.hold.set(true);

        ListenableFuture<ComputeResponse> call = client.compute(oneToken());
        assertThat(client.callsInFlight()).isEqualTo(1);
        expert.releaseHeld();

        assertThat(call.get(10, TimeUnit.SECONDS).hasOutput()).isTrue();
        awaitNoCallsInFlight(client);
    }

    @Test
    void releasesThePermitWhenACallFails() {
        ExpertClient client = client(properties(LONG, 10, 4));
        expert.hold.set(true);

        ListenableFuture<ComputeResponse> call = client.compute(oneToken());
        assertThat(client.callsInFlight()).isEqualTo(1);
        expert.failHeld(Status.UNAVAILABLE.withDescription("test failure"));

        assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        awaitNoCallsInFlight(client);
    }

    @Test
    void releasesThePermitWhenTheDeadlinePasses() {
        ExpertClient client = client(properties(Duration.ofMillis(200), 10, 4));
        expert.hold.set(true); // never answered

        ListenableFuture<ComputeResponse> call = client.compute(oneToken());
        assertThat(client.callsInFlight()).isEqualTo(1);

        assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        awaitNoCallsInFlight(client);
    }

    @Test
    void releasesThePermitWhenACallIsCancelled() {
        ExpertClient client = client(properties(LONG, 10, 4));
        expert.hold.set(true);

        ListenableFuture<ComputeResponse> call = client.compute(oneToken());
        assertThat(client.callsInFlight()).isEqualTo(1);
        call.cancel(true);

        awaitNoCallsInFlight(client);
    }

    @Test
    void aFullBulkheadRefusesAtOnceWithoutCallingTheEndpoint() {
        ExpertClient client = client(properties(LONG, 10, 2));
        expert.hold.set(true);
        assertThat(client.compute(oneToken())).isNotNull();
        assertThat(client.compute(oneToken())).isNotNull();

        ListenableFuture<ComputeResponse> refused =
                assertTimeoutPreemptively(Duration.ofSeconds(5), () -> client.compute(oneToken()));

        assertThat(refused).isNull();
        assertThat(expert.computeCalls.get()).isEqualTo(2);
        assertThat(client.limits()).contains("2 of 2 calls in flight");
        expert.releaseHeld();
        awaitNoCallsInFlight(client);
        assertThat(client.compute(oneToken())).isNotNull();
    }

    @Test
    void anOpenBreakerRefusesWithoutKeepingABulkheadPermit() throws Exception {
        ExpertClient client = client(properties(LONG, 1, 1)); // one failure opens the breaker
        expert.down.set(true);
        ListenableFuture<ComputeResponse> failing = client.compute(oneToken());
        Throwable error = catchThrowable(() -> failing.get(10, TimeUnit.SECONDS));
        client.failed(1, error.getCause()); // as RemoteExperts reports it
        awaitNoCallsInFlight(client);
        assertThat(client.breakerState()).isEqualTo(CircuitBreaker.State.OPEN);

        assertThat(client.compute(oneToken())).isNull();

        assertThat(client.callsInFlight()).isZero();
        assertThat(expert.computeCalls.get()).isEqualTo(1);
    }

    @Test
    void anOpenBreakerLetsOneTrialCallThroughOnceItsWaitHasPassedOnTheClock() throws Exception {
        DispatchProperties properties = properties(LONG, 1, 4); // one failure opens the breaker for a minute
        ExpertClient client = client(properties);
        expert.down.set(true);
        ListenableFuture<ComputeResponse> failing = client.compute(oneToken());
        client.failed(1, catchThrowable(() -> failing.get(10, TimeUnit.SECONDS)).getCause());
        expert.down.set(false);

        clock.advance(properties.breakerOpenFor());
        assertThat(client.accepting()).as("open for exactly its wait: not over yet").isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(client.accepting()).isTrue();
        assertThat(client.breakerState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);

        ListenableFuture<ComputeResponse> trial = client.compute(oneToken());
        assertThat(client.compute(oneToken())).as("one trial call at a time").isNull();
        assertThat(trial.get(10, TimeUnit.SECONDS).hasOutput()).isTrue();
        client.succeeded(1);
        assertThat(client.breakerState()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void aCallThatCannotStartFailsAndKeepsNoPermit() {
        ManagedChannel broken = InProcessChannelBuilder.forName(cluster.endpoints.getFirst().target()).directExecutor()
                .intercept(new ClientInterceptor() {
                    @Override
                    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
                            Channel next) {
                        throw new IllegalStateException("cannot start a call");
                    }
                }).build();
        ExpertClient client = client(broken, properties(LONG, 10, 1));

        ListenableFuture<ComputeResponse> call = client.compute(oneToken());

        assertThat(call).isNotNull();
        assertThatThrownBy(call::get).isInstanceOf(ExecutionException.class).rootCause()
                .hasMessage("cannot start a call");
        assertThat(client.callsInFlight()).isZero();
        assertThat(client.compute(oneToken())).as("the only permit is free again").isNotNull();
    }
}
