package io.moemesh.expert.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.moemesh.service.GrpcServerLifecycle;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The expert's shutdown drain on a real (in-process) gRPC server: health turns NOT_SERVING while
 * Compute calls are still answered, and the drain ends once none arrived for the quiet period, or
 * at the latest after the max wait. A counted stand-in method plays Compute; the sleeper moves a
 * fake clock and plays the routers.
 */
class ShutdownDrainTest {

    private static final Duration QUIET = Duration.ofSeconds(2);
    private static final Duration MAX = Duration.ofSeconds(20);
    private static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    private static final MethodDescriptor<String, String> COMPUTE = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("test.Expert/Compute")
            .setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();

    private static final MethodDescriptor<String, String> COMPUTE_STREAM = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING).setFullMethodName("test.Expert/ComputeStream")
            .setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final HealthStatusManager health = new HealthStatusManager();
    private final CallActivity activity = new CallActivity(Set.of(COMPUTE.getFullMethodName(),
            COMPUTE_STREAM.getFullMethodName()), nanos::get);
    private final List<String> observed = new ArrayList<>();
    private GrpcServerLifecycle server;
    private ManagedChannel channel;

    @BeforeEach
    void start() {
        String name = InProcessServerBuilder.generateName();
        ServerServiceDefinition compute = ServerServiceDefinition.builder("test.Expert")
                .addMethod(COMPUTE, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext("computed " + request);
                    response.onCompleted();
                }))
                .addMethod(COMPUTE_STREAM, ServerCalls.asyncBidiStreamingCall(response -> new StreamObserver<>() {
                    @Override
                    public void onNext(String request) {
                        response.onNext("computed " + request);
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                        response.onCompleted();
                    }
                })).build();
        server = new GrpcServerLifecycle("expert", InProcessServerBuilder.forName(name).directExecutor(),
                List.of(ServerInterceptors.intercept(compute, activity)), health, Duration.ofSeconds(1),
                new GrpcServerLifecycle.Hooks() { });
        server.start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        server.stop();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private String compute(String what) {
        return ClientCalls.blockingUnaryCall(channel, COMPUTE, CallOptions.DEFAULT.withDeadlineAfter(5,
                TimeUnit.SECONDS), what);
    }

    private ServingStatus healthNow() {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    }

    /** A drain whose sleeper, while routers still call (the first {@code callingSleeps} pauses), calls Compute. */
    private ShutdownDrain drain(int callingSleeps) {
        ShutdownDrain drain = new ShutdownDrain(server, activity, new ShutdownDrain.Settings(QUIET, MAX), nanos::get,
                pause -> {
                    nanos.addAndGet(pause.toNanos());
                    observed.add(healthNow() + (observed.size() < callingSleeps ? " " + compute("x") : ""));
                });
        drain.start();
        return drain;
    }

    @Test
    void reportsNotServingAndStillAnswersComputeWhileDraining() {
        ShutdownDrain drain = drain(2);

        drain.stop();

        assertThat(observed).startsWith("NOT_SERVING computed x", "NOT_SERVING computed x");
        assertThat(server.isRunning()).as("the server's own drain comes after").isTrue();
    }

    @Test
    void endsOnceNoComputeCallArrivedForTheQuietPeriod() {
        ShutdownDrain drain = drain(3);
        long start = nanos.get();

        drain.stop();

        assertThat(Duration.ofNanos(nanos.get() - start)).as("three calls, each restarting the quiet period")
                .isEqualTo(QUIET.multipliedBy(4));
        assertThat(drain.isRunning()).isFalse();
    }

    @Test
    void waitsTheQuietPeriodEvenWithoutTrafficBeforeTheDrain() {
        compute("long before");
        nanos.addAndGet(Duration.ofMinutes(1).toNanos());
        long start = nanos.get();

        drain(0).stop();

        assertThat(Duration.ofNanos(nanos.get() - start)).isEqualTo(QUIET);
    }

    @Test
    void endsAfterTheMaxWaitWhileCallsKeepArriving() {
        ShutdownDrain drain = drain(Integer.MAX_VALUE);
        long start = nanos.get();

        drain.stop();

        assertThat(Duration.ofNanos(nanos.get() - start)).isEqualTo(MAX);
        assertThat(observed).hasSize((int) (MAX.toSeconds() / QUIET.toSeconds()));
    }

    @Test
    void everyRequestOnALongLivedStreamCountsAsACall() {
        List<String> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
        StreamObserver<String> stream = ClientCalls.asyncBidiStreamingCall(channel.newCall(COMPUTE_STREAM,
                CallOptions.DEFAULT), new StreamObserver<>() {
                    @Override
                    public void onNext(String answer) {
                        answers.add(answer);
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        stream.onNext("opened before the drain");
        java.util.concurrent.atomic.AtomicInteger steps = new java.util.concurrent.atomic.AtomicInteger();
        ShutdownDrain drain = new ShutdownDrain(server, activity, new ShutdownDrain.Settings(QUIET, MAX), nanos::get,
                pause -> {
                    nanos.addAndGet(pause.toNanos());
                    if (steps.getAndIncrement() < 2) {
                        stream.onNext("step"); // a router still routing to this pod over its stream
                    }
                });
        drain.start();
        long start = nanos.get();

        drain.stop();
        stream.onCompleted();

        assertThat(Duration.ofNanos(nanos.get() - start)).as("two requests, each restarting the quiet period")
                .isEqualTo(QUIET.multipliedBy(3));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(answers).as("answered while draining").hasSize(3));
    }

    @Test
    void aMaxWaitOfZeroTurnsTheDrainOff() {
        ShutdownDrain drain = new ShutdownDrain(server, activity, new ShutdownDrain.Settings(QUIET, Duration.ZERO),
                nanos::get, pause -> observed.add("slept"));
        drain.start();

        drain.stop();

        assertThat(observed).isEmpty();
        assertThat(healthNow()).isEqualTo(ServingStatus.SERVING);
    }
}
