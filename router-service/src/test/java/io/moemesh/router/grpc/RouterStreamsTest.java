package io.moemesh.router.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.DenseWeights;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.core.tokenizer.TokenizerConfig;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;

import io.moemesh.router.AdmissionProperties;
import io.moemesh.router.batching.BatchScheduler;
import io.moemesh.router.batching.SchedulerProperties;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The router's Generate streams against clients that cancel, read slowly, or never read. */
class RouterStreamsTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final int MAX_TOKENS = 24;
    private static final int BACKLOG = 4;
    /**
     * Responses a reading client asks for up front. The in-process transport is ready only while the
     * client has asked for more (Netty counts bytes in flight instead), so a client that asks one by
     * one would race the tiny model's sub-millisecond steps and hit the small backlog of these tests.
     */
    private static final int READING = 1000;

    private Checkpoint checkpoint;
    private TextTokenizer tokenizer;
    private BatchScheduler scheduler;
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        ModelConfig config = ModelConfig.load(MODEL);
        checkpoint = Checkpoint.open(MODEL);
        tokenizer = TextTokenizer.load(MODEL);
        DenseTransformer dense = new DenseTransformer(config, DenseWeights.load(checkpoint, config), Kernels.best(), 0);
        // every call here is one caller (no caller interceptor): give it the whole queue, fairness is not tested here
        SchedulerProperties limits = SchedulerProperties.defaults();
        scheduler = new BatchScheduler(dense, LocalExperts.load(checkpoint, config, Kernels.best()), tokenizer,
                limits.toBuilder().maxQueuedPerCaller(limits.maxQueuedRequests()).build(),
                RoutingObserver.NONE);
        scheduler.start();
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name)
                .addService(new RouterGrpcService(new ServedModel("tiny-random", config, 2, TokenizerConfig.EMPTY),
                        tokenizer, scheduler, BACKLOG,
                        AdmissionProperties.defaults().requestLimits()))
                .build().start();
        channel = InProcessChannelBuilder.forName(name).build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        scheduler.close();
        tokenizer.close();
        checkpoint.close();
    }

    private static GenerateRequest request(String prompt) {
        return request(prompt, MAX_TOKENS);
    }

    private static GenerateRequest request(String prompt, int maxTokens) {
        return GenerateRequest.newBuilder().setPrompt(prompt).setSampling(io.moemesh.proto.v1.SamplingParams.newBuilder()
                .setMaxTokens(maxTokens).setIgnoreEos(true)).build();
    }

    private List<Integer> reference(String prompt) {
        try (InProcessEngine engine = InProcessEngine.open(MODEL, Kernels.best(), 0)) {
            int[] ids = engine.generate(prompt, new SamplingParams(0f, 0, 1f, 0, MAX_TOKENS, List.of(), true),
                    TokenListener.NONE).tokenIds();
            return java.util.Arrays.stream(ids).boxed().toList();
        }
    }

    /** A client that asks for responses itself: {@code initial} at first, then one per {@code onNext} if it reads. */
    private static final class Client implements ClientResponseObserver<GenerateRequest, GenerateResponse> {
        final List<Integer> tokens = new CopyOnWriteArrayList<>();
        final CompletableFuture<Status> closed = new CompletableFuture<>();
        private final int initial;
        private final boolean reads;
        private final int cancelAfter;
        volatile ClientCallStreamObserver<GenerateRequest> call;

        Client(int initial, boolean reads, int cancelAfter) {
            this.initial = initial;
            this.reads = reads;
            this.cancelAfter = cancelAfter;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<GenerateRequest> requestStream) {
            call = requestStream;
            requestStream.disableAutoRequestWithInitial(initial);
        }

        @Override
        public void onNext(GenerateResponse response) {
            if (response.hasChunk()) {
                tokens.addAll(response.getChunk().getTokenIdsList());
            }
            if (tokens.size() == cancelAfter) {
                call.cancel("the user pressed Ctrl-C", null);
            } else if (reads) {
                call.request(1);
            }
        }

        @Override
        public void onError(Throwable t) {
            closed.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            closed.complete(Status.OK);
        }
    }

    private Client generate(String prompt, Client client) {
        MoeMeshGrpc.newStub(channel).generate(request(prompt), client);
        return client;
    }

    @Test
    void cancelledStreamsLeaveTheRouterServingExactTokens() {
        for (int i = 0; i < 50; i++) {
            generate("Hello", new Client(READING, true, 2));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> scheduler.stats().cancelledRequests() == 50);
        Client normal = generate("Hello", new Client(READING, true, -1));

        assertThat(normal.closed.orTimeout(20, TimeUnit.SECONDS).join().isOk()).isTrue();
        assertThat(normal.tokens).containsExactlyElementsOf(reference("Hello"));
        assertThat(scheduler.stats().maxTokensAfterCancel()).isLessThanOrEqualTo(1);
        assertThat(scheduler.load()).isZero();
    }

    @Test
    void aClientThatNeverReadsIsEndedWithResourceExhaustedAndOthersFinish() {
        Client stuck = generate("Hello", new Client(0, false, -1));
        Client normal = generate("Zürich", new Client(READING, true, -1));

        Status stuckStatus = stuck.closed.orTimeout(20, TimeUnit.SECONDS).join();
        assertThat(stuckStatus.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(stuckStatus.getDescription()).contains("read none of the last " + BACKLOG);
        assertThat(normal.closed.orTimeout(20, TimeUnit.SECONDS).join().isOk()).isTrue();
        assertThat(normal.tokens).containsExactlyElementsOf(reference("Zürich"));
        assertThat(scheduler.stats().abandonedStreams()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.load() == 0);
    }

    @Test
    void aClientThatStartsReadingLateWithinTheBacklogGetsEveryToken() {
        int tokens = BACKLOG - 1; // its chunks and the completion fill the backlog exactly
        Client late = new Client(0, false, -1);
        MoeMeshGrpc.newStub(channel).generate(request("Hello", tokens), late);
        await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.stats().completedRequests() == 1);
        late.call.request(READING); // it reads only now, after the generation finished

        assertThat(late.closed.orTimeout(20, TimeUnit.SECONDS).join().isOk()).isTrue();
        assertThat(late.tokens).containsExactlyElementsOf(reference("Hello").subList(0, tokens));
        assertThat(scheduler.stats().abandonedStreams()).isZero();
    }

    @Test
    void aDeadlineThatExpiresMidGenerationEndsOnlyThatRequest() {
        Client hurried = new Client(READING, true, -1);
        MoeMeshGrpc.newStub(channel).withDeadlineAfter(1, TimeUnit.NANOSECONDS).generate(request("Hello"), hurried);
        Client normal = generate("Hello", new Client(READING, true, -1));

        assertThat(hurried.closed.orTimeout(20, TimeUnit.SECONDS).join().getCode())
                .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(normal.closed.orTimeout(20, TimeUnit.SECONDS).join().isOk()).isTrue();
        assertThat(normal.tokens).containsExactlyElementsOf(reference("Hello"));
    }
}
