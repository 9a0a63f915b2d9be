package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.proto.codec.WireTensors;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.TokenRoute;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Compute calls as messages on one stream per endpoint ({@link ExpertTransport#STREAM}) mean what
 * unary calls mean: the same answers, each call its own failure and deadline, a withdrawn call
 * withdrawn on the endpoint, and nothing lost when the stream ends or the endpoint predates it.
 */
class ComputeStreamClientTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final int HIDDEN = ModelConfig.load(MODEL).hiddenSize();
    private static final Duration LONG = Duration.ofSeconds(30);

    private ExpertCluster cluster;
    private FakeExpertService expert;
    private final List<ExpertClient> clients = new ArrayList<>();

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

    private ExpertClient client(Duration timeout, ExpertTransport transport) {
        DispatchProperties properties = DispatchProperties.builder().callTimeout(timeout)
                .breakerOpenFor(Duration.ofMinutes(1)).transport(transport).build();
        ExpertClient client = new ExpertClient(cluster.endpoints.getFirst(), ExpertCluster.channel(
                cluster.endpoints.getFirst()), properties, Clock.systemUTC());
        clients.add(client);
        return client;
    }

    /** One token for expert 0 of layer 0, its hidden state filled with {@code value}. */
    private static ComputeRequest oneToken(float value) {
        float[] x = new float[HIDDEN];
        java.util.Arrays.fill(x, value);
        return ComputeRequest.newBuilder().setLayer(0).addRoutes(TokenRoute.newBuilder().addExperts(0).addWeights(1f))
                .setHidden(WireTensors.encode(x, 1, HIDDEN, DType.DTYPE_F32)).build();
    }

    private static Consumer<Throwable> status(Status.Code code) {
        return e -> assertThat(e).isInstanceOfSatisfying(StatusRuntimeException.class,
                s -> assertThat(s.getStatus().getCode()).isEqualTo(code));
    }

    @Test
    void manyCallsOneStreamTheSameAnswersAsUnaryCalls() throws Exception {
        ExpertClient streamed = client(LONG, ExpertTransport.STREAM);
        ExpertClient unary = client(LONG, ExpertTransport.UNARY);
        List<ListenableFuture<ComputeResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            calls.add(streamed.compute(oneToken(0.1f * i)));
        }
        for (int i = 0; i < 8; i++) {
            ComputeResponse expected = unary.compute(oneToken(0.1f * i)).get(10, TimeUnit.SECONDS);
            assertThat(calls.get(i).get(10, TimeUnit.SECONDS).getOutput()).isEqualTo(expected.getOutput());
        }
        assertThat(expert.streamsOpened.get()).isEqualTo(1);
        assertThat(expert.computeCalls.get()).isEqualTo(16);
    }

    @Test
    void aFailedCallFailsAloneWithTheEndpointsStatus() throws Exception {
        ExpertClient client = client(LONG, ExpertTransport.STREAM);
        expert.down.set(true);
        ListenableFuture<ComputeResponse> failed = client.compute(oneToken(1f));
        assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().satisfies(status(Status.Code.UNAVAILABLE)).hasMessageContaining("test endpoint is down");

        expert.down.set(false);
        assertThat(client.compute(oneToken(1f)).get(10, TimeUnit.SECONDS).hasOutput()).isTrue();
        assertThat(expert.streamsOpened.get()).as("the failure did not end the stream").isEqualTo(1);
    }

    @Test
    void aSilentStreamIsCancelledAtTheCallDeadlineAndTheNextCallOpensANewOne() throws Exception {
        ExpertClient client = client(Duration.ofMillis(200), ExpertTransport.STREAM);
        expert.hold.set(true); // nothing comes back on the stream
        ListenableFuture<ComputeResponse> unanswered = client.compute(oneToken(1f));
        assertThatThrownBy(() -> unanswered.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().satisfies(status(Status.Code.DEADLINE_EXCEEDED)).hasMessageContaining("did not answer within 200 ms");

        expert.hold.set(false);
        assertThat(client.compute(oneToken(1f)).get(10, TimeUnit.SECONDS).hasOutput()).isTrue();
        assertThat(expert.streamsOpened.get()).isEqualTo(2);
    }

    @Test
    void aLateCallOnALiveStreamIsWithdrawnAndTheStreamKept() throws Exception {
        ExpertClient client = client(Duration.ofMillis(300), ExpertTransport.STREAM);
        expert.hold.set(true);
        ListenableFuture<ComputeResponse> late = client.compute(oneToken(1f));
        expert.hold.set(false);
        // answers keep arriving on the stream while the held call waits, until its deadline passes
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            assertThat(client.compute(oneToken(2f)).get(10, TimeUnit.SECONDS).hasOutput()).isTrue();
            return late.isDone();
        });
        assertThatThrownBy(() -> late.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().satisfies(status(Status.Code.DEADLINE_EXCEEDED));
        await().atMost(Duration.ofSeconds(5)).until(() -> expert.withdrawn.get() == 1);
        assertThat(expert.streamsOpened.get()).isEqualTo(1);
        expert.releaseHeld(); // answered after all: nobody waits for it, and the stream goes on
        assertThat(client.compute(oneToken(3f)).get(10, TimeUnit.SECONDS).hasOutput()).isTrue();
    }

    @Test
    void aCancelledCallIsWithdrawnOnTheEndpointAndFreesItsPermit() {
        ExpertClient client = client(LONG, ExpertTransport.STREAM);
        expert.hold.set(true);
        ListenableFuture<ComputeResponse> call = client.compute(oneToken(1f));
        assertThat(client.callsInFlight()).isEqualTo(1);

        call.cancel(true);

        await().atMost(Duration.ofSeconds(5)).until(() -> expert.withdrawn.get() == 1);
        assertThat(client.callsInFlight()).isZero();
    }

    @Test
    void theEndpointEndingTheStreamFailsWaitingCallsUnavailableAndTheNextCallReconnects() throws Exception {
        ExpertClient client = client(LONG, ExpertTransport.STREAM);
        expert.hold.set(true);
        ListenableFuture<ComputeResponse> waiting = client.compute(oneToken(1f));
        await().atMost(Duration.ofSeconds(5)).until(() -> expert.heldCalls() == 1);

        expert.endStreams();

        assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().satisfies(status(Status.Code.UNAVAILABLE)).hasMessageContaining("ended the Compute stream");
        expert.hold.set(false);
        assertThat(client.compute(oneToken(1f)).get(10, TimeUnit.SECONDS).hasOutput()).isTrue();
        assertThat(expert.streamsOpened.get()).isEqualTo(2);
    }

    @Test
    void anEndpointWithoutTheStreamGetsUnaryCallsAndLosesNone() throws Exception {
        expert.predatesComputeStream.set(true);
        ExpertClient client = client(LONG, ExpertTransport.STREAM);
        List<ListenableFuture<ComputeResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            calls.add(client.compute(oneToken(i)));
        }
        for (ListenableFuture<ComputeResponse> call : calls) {
            assertThat(call.get(10, TimeUnit.SECONDS).hasOutput()).isTrue();
        }
        assertThat(client.compute(oneToken(9f)).get(10, TimeUnit.SECONDS).hasOutput()).isTrue();
        assertThat(expert.computeCalls.get()).isEqualTo(5);
        assertThat(expert.streamsOpened.get()).isZero();
    }

    @Test
    void aTracedCallIsUnarySoItsContextTravelsInHeaders() throws Exception {
        ExpertClient client = client(LONG, ExpertTransport.STREAM);
        assertThat(client.compute(oneToken(1f), true).get(10, TimeUnit.SECONDS).hasOutput()).isTrue();
        assertThat(expert.streamsOpened.get()).isZero();
        assertThat(client.compute(oneToken(1f)).get(10, TimeUnit.SECONDS).hasOutput()).isTrue();
        assertThat(expert.streamsOpened.get()).isEqualTo(1);
    }
}
