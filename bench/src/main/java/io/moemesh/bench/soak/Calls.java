package io.moemesh.bench.soak;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationListener;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.client.MoeMeshException;
import io.moemesh.client.StreamingCall;
import io.moemesh.client.TextChunk;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The ways the soak calls the gateway: through the client SDK's streaming API (optionally
 * cancelling after some chunks), on a raw stub that reads at its own pace (slowly, never, or not
 * after a few chunks), and as hand-made bytes. Each call has a deadline, is entered in the
 * {@link CallLedger} when it starts and leaves it with its outcome; the returned future completes
 * then.
 */
final class Calls {

    /** Judges a completed generation's tokens: null when right, else what is wrong (outcome INEXACT). */
    interface Verdict extends Function<List<Integer>, String> {
        Verdict ANY = tokens -> null;
    }

    static final String INEXACT = "INEXACT";
    private static final MethodDescriptor<byte[], GenerateResponse> RAW_GENERATE = MoeMeshGrpc.getGenerateMethod()
            .toBuilder(new BytesMarshaller(), MoeMeshGrpc.getGenerateMethod().getResponseMarshaller()).build();

    private final MoeMeshClient client;
    private final Channel channel;
    private final CallCredentials apiKey;
    private final ScheduledExecutorService timer;
    private final CallLedger ledger;

    /** {@code channel} carries the raw calls, with {@code apiKey} (null: none) as the SDK's client sends it. */
    Calls(MoeMeshClient client, Channel channel, CallCredentials apiKey, ScheduledExecutorService timer,
            CallLedger ledger) {
        this.client = client;
        this.channel = channel;
        this.apiKey = apiKey;
        this.timer = timer;
        this.ledger = ledger;
    }

    /**
     * A streaming call through the SDK. {@code cancelAfterChunks}: 0 = never cancel, -1 = cancel right
     * after starting, n = cancel once n chunks arrived.
     */
    CompletableFuture<Void> sdk(String kind, String variant, GenerateOptions options, Set<String> expected,
            Verdict verdict, int cancelAfterChunks) {
        CallLedger.Call call = ledger.start(kind, variant, options.deadline(), expected);
        CompletableFuture<Void> ended = new CompletableFuture<>();
        AtomicReference<StreamingCall> handle = new AtomicReference<>();
        AtomicInteger chunks = new AtomicInteger();
        GenerationListener listener = new GenerationListener() {
            @Override
            public void onChunk(TextChunk chunk) {
                if (chunks.incrementAndGet() == cancelAfterChunks && handle.get() != null) {
                    handle.get().cancel();
                }
            }

            @Override
            public void onComplete(GenerationResult result) {
                String wrong = verdict.apply(result.tokenIds());
                end(call, ended, wrong == null ? "OK" : INEXACT, wrong != null ? wrong : result.tokenIds().size()
                        + " tokens, finish " + result.finishReason() + ", router time " + result.usage().totalTime());
            }

            @Override
            public void onError(MoeMeshException error) {
                end(call, ended, error.code().name(), error.description());
            }
        };
        try {
            StreamingCall started = client.stream(options, listener);
            handle.set(started);
            if (cancelAfterChunks < 0 || (cancelAfterChunks > 0 && chunks.get() >= cancelAfterChunks)) {
                started.cancel();
            }
        } catch (RuntimeException e) {
            end(call, ended, "CLIENT_ERROR", e.toString());
        }
        return ended;
    }

    /**
     * A raw streaming call that reads at its own pace: the first response, then one more every
     * {@code readEvery} (null: never reads at all) until {@code stopReadingAfter} responses (0: no
     * limit); cancels the call {@code cancelAfter} after the start (null: never, the deadline ends it).
     */
    CompletableFuture<Void> paced(String kind, String variant, GenerateRequest request, Duration deadline,
            Set<String> expected, Pace pace, Verdict verdict) {
        CallLedger.Call call = ledger.start(kind, variant, deadline, expected);
        CompletableFuture<Void> ended = new CompletableFuture<>();
        List<Integer> tokens = new ArrayList<>();
        ClientResponseObserver<GenerateRequest, GenerateResponse> observer = new ClientResponseObserver<>() {
            private ClientCallStreamObserver<GenerateRequest> stream;
            private int read;

            @Override
            public void beforeStart(ClientCallStreamObserver<GenerateRequest> requestStream) {
                stream = requestStream;
                requestStream.disableAutoRequestWithInitial(pace.readEvery() == null ? 0 : 1);
                if (pace.cancelAfter() != null) {
                    timer.schedule(() -> requestStream.cancel("the soak's client gave up", null),
                            pace.cancelAfter().toMillis(), TimeUnit.MILLISECONDS);
                }
            }

            @Override
            public void onNext(GenerateResponse response) {
                tokens.addAll(response.getChunk().getTokenIdsList());
                read++;
                if (pace.stopReadingAfter() == 0 || read < pace.stopReadingAfter()) {
                    timer.schedule(() -> stream.request(1), pace.readEvery().toMillis(), TimeUnit.MILLISECONDS);
                }
            }

            @Override
            public void onError(Throwable error) {
                Status status = Status.fromThrowable(error);
                end(call, ended, status.getCode().name(), status.getDescription());
            }

            @Override
            public void onCompleted() {
                String wrong = verdict.apply(tokens);
                end(call, ended, wrong == null ? "OK" : INEXACT, wrong != null ? wrong : tokens.size() + " tokens");
            }
        };
        ClientCalls.asyncServerStreamingCall(channel.newCall(MoeMeshGrpc.getGenerateMethod(), options(deadline)),
                request, observer);
        return ended;
    }

    /** How a {@link #paced} call reads. */
    record Pace(Duration readEvery, int stopReadingAfter, Duration cancelAfter) {
    }

    /** Hand-made bytes as a Generate request: invalid UTF-8 in a string field, or no protobuf at all. */
    CompletableFuture<Void> bytes(String kind, String variant, byte[] request, Duration deadline, Set<String> expected) {
        CallLedger.Call call = ledger.start(kind, variant, deadline, expected);
        CompletableFuture<Void> ended = new CompletableFuture<>();
        ClientCalls.asyncServerStreamingCall(channel.newCall(RAW_GENERATE, options(deadline)), request,
                new io.grpc.stub.StreamObserver<>() {
                    @Override
                    public void onNext(GenerateResponse value) {
                    }

                    @Override
                    public void onError(Throwable error) {
                        Status status = Status.fromThrowable(error);
                        end(call, ended, status.getCode().name(), status.getDescription());
                    }

                    @Override
                    public void onCompleted() {
                        end(call, ended, "OK", null);
                    }
                });
        return ended;
    }

    private CallOptions options(Duration deadline) {
        return CallOptions.DEFAULT.withCallCredentials(apiKey).withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void end(CallLedger.Call call, CompletableFuture<Void> ended, String outcome, String detail) {
        ledger.end(call, outcome, detail);
        ended.complete(null);
    }

    private static final class BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
