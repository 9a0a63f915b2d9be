package io.moemesh.gateway.openai;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.moemesh.gateway.access.PeerFromHeader;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.ListModelsRequest;
import io.moemesh.proto.v1.ListModelsResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

/**
 * The HTTP API's way into the gateway: the gateway's own public gRPC service — API keys, the
 * failed-authentication throttle, rate and concurrency limits, token budget, validation, metrics,
 * forwarding — served again on a private in-process server, so that HTTP callers meet exactly the
 * rules gRPC callers meet. The HTTP peer's address travels in {@link #HTTP_PEER}, which only this
 * server trusts (nobody outside the process can reach it), so per-peer limits see the real client.
 * The HTTP request's W3C trace context ({@code traceparent}, {@code tracestate}) travels as the same
 * gRPC headers, so the server span the gateway's tracing interceptor makes for the call continues
 * the HTTP caller's trace exactly as it continues a gRPC caller's (an invalid one is ignored there,
 * and the call starts a trace of its own).
 *
 * <p>Generate is bridged to a {@link Flux} with gRPC flow control: responses are requested as the
 * HTTP side asks for them, so a slow HTTP reader slows the stream instead of filling a buffer; a
 * cancelled Flux (the HTTP client left) cancels the call, and with it the router's generation.
 */
final class GatewayLoopback implements AutoCloseable {

    static final Metadata.Key<String> HTTP_PEER = Metadata.Key.of("moemesh-http-peer", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> TRACESTATE = Metadata.Key.of("tracestate", Metadata.ASCII_STRING_MARSHALLER);

    private final Server server;
    private final ManagedChannel channel;

    GatewayLoopback(ServerServiceDefinition publicApi) {
        String name = "moemesh-openai-" + InProcessServerBuilder.generateName();
        try {
            server = InProcessServerBuilder.forName(name)
                    .addService(ServerInterceptors.intercept(publicApi, new PeerFromHeader(HTTP_PEER)))
                    .build().start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the in-process gateway for the HTTP API", e);
        }
        channel = InProcessChannelBuilder.forName(name).build();
    }

    /**
     * Who is calling over HTTP: the raw {@code Authorization} header, the peer's address, and the
     * raw {@code traceparent} and {@code tracestate} headers (each may be null).
     */
    record HttpCaller(String authorization, InetSocketAddress peer, String traceparent, String tracestate) {

        Metadata headers() {
            Metadata headers = new Metadata();
            // a header gRPC metadata cannot carry is no key at all: the call is refused as unauthenticated
            putIfCarried(headers, AUTHORIZATION, authorization);
            if (peer != null && peer.getAddress() != null) {
                headers.put(HTTP_PEER, peer.getAddress().getHostAddress());
            }
            // likewise no trace context: the call starts its own trace
            putIfCarried(headers, TRACEPARENT, traceparent);
            putIfCarried(headers, TRACESTATE, tracestate);
            return headers;
        }

        private static void putIfCarried(Metadata headers, Metadata.Key<String> key, String value) {
            if (value != null && value.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                headers.put(key, value);
            }
        }
    }

    /** Generate as a stream; nothing happens until it is subscribed. */
    Flux<GenerateResponse> generate(GenerateRequest request, HttpCaller caller) {
        return Flux.create(sink -> {
            ClientCall<GenerateRequest, GenerateResponse> call = newCall(MoeMeshGrpc.getGenerateMethod(), caller);
            SinkObserver observer = new SinkObserver(sink);
            ClientCalls.asyncServerStreamingCall(call, request, observer);
            // only now: a started call may be asked for messages. Demand adds up on both sides, so each
            // request passes on as it is (Flux.merge asks for 32 at a time, a stream's writer as it writes)
            sink.onRequest(n -> observer.call.request((int) Math.min(n, Integer.MAX_VALUE)));
            sink.onCancel(() -> call.cancel("the HTTP client went away", null));
        });
    }

    Mono<ListModelsResponse> listModels(HttpCaller caller) {
        return Mono.create(sink -> {
            ClientCall<ListModelsRequest, ListModelsResponse> call = newCall(MoeMeshGrpc.getListModelsMethod(), caller);
            ClientCalls.asyncUnaryCall(call, ListModelsRequest.getDefaultInstance(),
                    new StreamObserver<>() {
                        @Override
                        public void onNext(ListModelsResponse value) {
                            sink.success(value);
                        }

                        @Override
                        public void onError(Throwable t) {
                            sink.error(t);
                        }

                        @Override
                        public void onCompleted() {
                            sink.success();
                        }
                    });
            sink.onCancel(() -> call.cancel("the HTTP client went away", null));
        });
    }

    private <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, HttpCaller caller) {
        Metadata headers = caller.headers();
        return new ForwardingClientCall.SimpleForwardingClientCall<>(channel.newCall(method, CallOptions.DEFAULT)) {
            @Override
            public void start(Listener<R> listener, Metadata extra) {
                extra.merge(headers);
                super.start(listener, extra);
            }
        };
    }

    /** Feeds a Flux from a gRPC stream, asking gRPC for as many responses as the Flux was asked for. */
    private static final class SinkObserver implements ClientResponseObserver<GenerateRequest, GenerateResponse> {

        private final FluxSink<GenerateResponse> sink;
        private ClientCallStreamObserver<GenerateRequest> call;

        SinkObserver(FluxSink<GenerateResponse> sink) {
            this.sink = sink;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<GenerateRequest> call) {
            call.disableAutoRequestWithInitial(0);
            this.call = call;
        }

        @Override
        public void onNext(GenerateResponse value) {
            sink.next(value);
        }

        @Override
        public void onError(Throwable t) {
            sink.error(t);
        }

        @Override
        public void onCompleted() {
            sink.complete();
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
