package io.moemesh.service.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.Server;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code moemesh.transport.bind-address}: a server bound to loopback cannot be reached from the network. */
class BindAddressTest {

    private static final int CONNECT_TIMEOUT_MS = 2000;

    @Test
    void loopbackServerIsNotReachableOnTheMachinesNetworkAddress() throws Exception {
        InetAddress external = nonLoopbackAddress();
        Server server = start("127.0.0.1");
        try {
            assertThat(connects(InetAddress.getLoopbackAddress(), server.getPort())).isTrue();
            assertThatThrownBy(() -> connects(external, server.getPort())).isInstanceOf(ConnectException.class);
        } finally {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void wildcardServerIsReachableOnTheMachinesNetworkAddress() throws Exception {
        InetAddress external = nonLoopbackAddress();
        Server server = start("0.0.0.0");
        try {
            assertThat(connects(external, server.getPort())).isTrue();
        } finally {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void unsetBindAddressListensOnTheWildcardOfEveryFamily() throws Exception {
        assumeTrue(bindsIpv6Loopback(), "this machine has no IPv6 loopback");
        Server server = start(null);
        try {
            assertThat(connects(InetAddress.getByName("127.0.0.1"), server.getPort())).isTrue();
            assertThat(connects(InetAddress.getByName("::1"), server.getPort())).isTrue();
        } finally {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void blankBindAddressIsUnset() {
        TransportProperties transport = TransportProperties.defaults(" ");
        GrpcServerFactory factory = new GrpcServerFactory(transport, new TlsMaterial(TlsProperties.none()),
                AuthProperties.of(null, true), Optional.empty());

        assertThat(transport.bindAddress()).isNull();
        assertThat(factory.address(50052).getAddress().isAnyLocalAddress()).isTrue();
        assertThat(factory.loopbackTarget(50052)).isEqualTo("127.0.0.1:50052");
    }

    private static boolean bindsIpv6Loopback() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
            socket.bind(new InetSocketAddress("::1", 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Server start(String bindAddress) throws IOException {
        TlsMaterial tls = new TlsMaterial(TlsProperties.none());
        return new GrpcServerFactory(TransportProperties.defaults(bindAddress), tls, AuthProperties.of(null, true),
                Optional.empty()).internalServer("test", 0, 1024, Duration.ZERO, Set.of())
                .addService(new TestService().definition()).build().start();
    }

    private static boolean connects(InetAddress address, int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), CONNECT_TIMEOUT_MS);
            return socket.isConnected();
        }
    }

    /** An IPv4 address of an interface that is up and not loopback; the test is skipped without one. */
    private static InetAddress nonLoopbackAddress() throws SocketException {
        Optional<InetAddress> address = NetworkInterface.networkInterfaces()
                .filter(BindAddressTest::upAndNotLoopback)
                .flatMap(NetworkInterface::inetAddresses)
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress())
                .findFirst();
        assumeTrue(address.isPresent(), "this machine has no non-loopback IPv4 address");
        return address.get();
    }

    private static boolean upAndNotLoopback(NetworkInterface nic) {
        try {
            return nic.isUp() && !nic.isLoopback();
        } catch (SocketException e) {
            return false;
        }
    }
}
