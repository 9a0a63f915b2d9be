package io.moemesh.router.grpc;

import static io.moemesh.router.grpc.RouterLimitsTest.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.moemesh.core.tokenizer.TokenizerConfig;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.v1.SamplingParams;
import io.moemesh.proto.v1.TokenIds;
import io.moemesh.router.AdmissionProperties;
import io.moemesh.router.batching.KvCacheBudget;
import io.moemesh.router.batching.SchedulerProperties;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Admission at the router's public Generate: per-caller shares of the queue (the caller from the
 * {@code moemesh-caller} header, else the peer's address) and the KV cache budget, as gRPC
 * statuses. The scheduler is not started, so that accepted requests stay queued.
 */
class RouterAdmissionTest {

    private static final int MAX_TOKENS = 12;
    private static final long GIB = 1L << 30;

    private TinyRouter router;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private Server tcpServer;

    @AfterEach
    void stop() throws Exception {
        channels.forEach(ManagedChannel::shutdownNow);
        if (tcpServer != null) {
            tcpServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        router.close();
    }

    private void start(long kvBudget) throws Exception {
        router = new TinyRouter(AdmissionProperties.defaults().requestLimits(),
                SchedulerProperties.builder().kvCacheBudgetBytes(kvBudget).build());
    }

    private static GenerateRequest request() {
        return GenerateRequest.newBuilder().setPromptIds(TokenIds.newBuilder().addIds(97))
                .setSampling(SamplingParams.newBuilder().setMaxTokens(MAX_TOKENS).setIgnoreEos(true)).build();
    }

    private static MoeMeshGrpc.MoeMeshStub asCaller(ManagedChannel channel, String caller) {
        Metadata headers = new Metadata();
        headers.put(CallerInterceptor.CALLER_HEADER, caller);
        return MoeMeshGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** Starts a call that stays open while its request waits; the future completes with its final status. */
    private static CompletableFuture<Status> call(MoeMeshGrpc.MoeMeshStub stub, GenerateRequest request) {
        CompletableFuture<Status> status = new CompletableFuture<>();
        stub.generate(request, new StreamObserver<>() {
            @Override
            public void onNext(GenerateResponse value) {
            }

            @Override
            public void onError(Throwable t) {
                status.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                status.complete(Status.OK);
            }
        });
        return status;
    }

    private static Status refusal(MoeMeshGrpc.MoeMeshStub stub, GenerateRequest request) {
        return call(stub, request).orTimeout(10, TimeUnit.SECONDS).join();
    }

    @Test
    void aCallerPastItsShareOfTheQueueIsRefusedWhileOtherCallersGetIn() throws Exception {
        start(GIB);
        MoeMeshGrpc.MoeMeshStub a = asCaller(router.channel, "key-fingerprint-a");
        for (int i = 0; i < 32; i++) {
            call(a, request());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> router.scheduler.load() == 32);

        Status refused = refusal(a, request());
        CompletableFuture<Status> b = call(asCaller(router.channel, "key-fingerprint-b"), request());

        assertThat(refused.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(refused.getDescription()).contains("already has 32 requests waiting")
                .contains("moemesh.router.max-queued-per-caller");
        await().atMost(Duration.ofSeconds(10)).until(() -> router.scheduler.load() == 33);
        assertThat(b).isNotDone();
    }

    @Test
    void withoutTheHeaderEveryConnectionFromOneAddressIsOneCaller() throws Exception {
        start(GIB);
        tcpServer = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        InsecureServerCredentials.create())
                .addService(ServerInterceptors.intercept(new RouterGrpcService(
                        new ServedModel("tiny-random", router.config, 2, TokenizerConfig.EMPTY), router.tokenizer, router.scheduler, 256, AdmissionProperties.defaults().requestLimits()),
                        CallerInterceptor.trustingEveryCaller()))
                .build().start();
        ManagedChannel first = tcpChannel();
        ManagedChannel second = tcpChannel(); // its own connection, from another port
        for (int i = 0; i < 32; i++) {
            call(MoeMeshGrpc.newStub(first), request());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> router.scheduler.load() == 32);

        Status refused = refusal(MoeMeshGrpc.newStub(second), request());

        assertThat(refused.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(refused.getDescription()).contains("moemesh.router.max-queued-per-caller");
    }

    private ManagedChannel tcpChannel() {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress(InetAddress.getLoopbackAddress().getHostAddress(),
                tcpServer.getPort(), InsecureChannelCredentials.create()).build();
        channels.add(channel);
        return channel;
    }

    @Test
    void aMalformedCallerHeaderIsRefused() throws Exception {
        start(GIB);

        Status refused = refusal(asCaller(router.channel, "x".repeat(129)), request());

        assertThat(refused.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(refused.getDescription()).contains("moemesh-caller header");
        assertThat(router.scheduler.load()).isZero();
    }

    @Test
    void callsWaitingForTheKvBudgetAreNotRefusedAndLeaveWhenTheirClientsDo() throws Exception {
        start(2 * KvCacheBudget.bytesFor(tinyConfig(), 1 + MAX_TOKENS)); // 13 KiB: room for two requests
        MoeMeshGrpc.MoeMeshStub stub = MoeMeshGrpc.newStub(router.channel);
        var cancellable = io.grpc.Context.current().withCancellation();
        List<CompletableFuture<Status>> waiting = new ArrayList<>();
        cancellable.run(() -> {
            for (int i = 0; i < 3; i++) {
                waiting.add(call(stub, request())); // three: the third waits for the budget, not refused
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> router.scheduler.load() == 3);

        Status tooLarge = refusal(stub, request().toBuilder()
                .setSampling(SamplingParams.newBuilder().setMaxTokens(2_048)).build());
        cancellable.cancel(null); // the clients leave while their requests wait
        router.start();

        assertThat(tooLarge.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(tooLarge.getDescription()).contains("needs 256 KiB, more than the router's whole KV cache budget"
                + " of 13 KiB (moemesh.router.kv-cache-budget)");
        assertThat(waiting).allSatisfy(w -> assertThat(w.join().getCode()).isEqualTo(Status.Code.CANCELLED));
        await().atMost(Duration.ofSeconds(10)).until(() -> router.scheduler.stats().cancelledRequests() == 3);
        assertThat(router.scheduler.kvCache().reservedBytes()).isZero();
        assertThat(router.scheduler.load()).isZero();
    }

    @Test
    void aCallThatWaitsTooLongForTheKvBudgetIsRefusedNamingIt() throws Exception {
        // room for one request; a 1 ms wait: the first request runs 511 steps, far longer than that
        router = new TinyRouter(AdmissionProperties.defaults().requestLimits(), SchedulerProperties.builder()
                .kvCacheBudgetBytes(KvCacheBudget.bytesFor(tinyConfig(), tinyConfig().maxPositionEmbeddings()))
                .maxKvCacheWait(Duration.ofMillis(1)).build());
        GenerateRequest wholeContext = request().toBuilder()
                .setSampling(SamplingParams.newBuilder().setMaxTokens(2_048).setIgnoreEos(true)).build();
        CompletableFuture<Status> first = call(asCaller(router.channel, "a"), wholeContext);
        await().atMost(Duration.ofSeconds(10)).until(() -> router.scheduler.load() == 1); // queued first: joins first
        CompletableFuture<Status> second = call(asCaller(router.channel, "b"), wholeContext);
        await().atMost(Duration.ofSeconds(10)).until(() -> router.scheduler.load() == 2);
        router.start();

        Status refused = second.orTimeout(30, TimeUnit.SECONDS).join();

        assertThat(refused.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(refused.getDescription()).endsWith("KV cache budget 256 KiB: 256 KiB reserved by running requests,"
                + " this request needs 256 KiB and waited 1 ms for it (moemesh.router.max-kv-cache-wait); retry later"
                + " or lower max_tokens");
        assertThat(first.orTimeout(30, TimeUnit.SECONDS).join().getCode()).isEqualTo(Status.Code.OK);
        assertThat(router.scheduler.kvCache().reservedBytes()).isZero();
    }

    private static io.moemesh.core.config.ModelConfig tinyConfig() {
        return io.moemesh.core.config.ModelConfig.load(TinyRouter.MODEL);
    }
}
