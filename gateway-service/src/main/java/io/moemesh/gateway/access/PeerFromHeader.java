package io.moemesh.gateway.access;

import io.grpc.Attributes;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Makes a call come from the IP address in {@code header}, where the gateway's interceptors
 * ({@link io.moemesh.service.Peers}) look for a caller's address. Only for servers that nobody but
 * the process itself reaches: the in-process server behind the HTTP API, which puts the HTTP
 * client's address there, and in-process tests. On a public port it would let callers pick their
 * own address. A call without the header keeps its transport's address; a value that is not an IP
 * literal fails the call (it is never looked up in DNS).
 */
public final class PeerFromHeader implements ServerInterceptor {

    private final Metadata.Key<String> header;

    public PeerFromHeader(Metadata.Key<String> header) {
        this.header = header;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String peer = headers.get(header);
        if (peer == null) {
            return next.startCall(call, headers);
        }
        Attributes attributes = call.getAttributes().toBuilder()
                .set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, new InetSocketAddress(InetAddress.ofLiteral(peer), 0)).build();
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public Attributes getAttributes() {
                return attributes;
            }
        }, headers);
    }
}
