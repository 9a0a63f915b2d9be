package io.moemesh.service;

import io.grpc.Grpc;
import io.grpc.ServerCall;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * The peer a call comes from, as the gateway's throttles and anonymous limits and the router's
 * per-caller queue count it (its port left out: one host's connections are one peer): the IPv4 address, or the
 * /64 prefix of an IPv6 address (one host usually owns a whole /64, so counting single IPv6
 * addresses would let it take a fresh identity per call).
 */
public final class Peers {

    private Peers() {
    }

    public static String of(ServerCall<?, ?> call) {
        return of(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
    }

    public static String of(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress() != null ? of(inet.getAddress()) : inet.getHostString();
        }
        // in-process and Unix-domain-socket peers: all local, one peer
        return address == null ? "unknown" : address.getClass().getSimpleName();
    }

    public static String of(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] prefix = Arrays.copyOf(address.getAddress(), 16);
            Arrays.fill(prefix, 8, 16, (byte) 0);
            try {
                return InetAddress.getByAddress(prefix).getHostAddress() + "/64";
            } catch (UnknownHostException e) {
                throw new IllegalStateException("16 bytes are an IPv6 address", e);
            }
        }
        return address.getHostAddress();
    }
}
