package io.moemesh.router.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.service.Peers;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Who a call without {@code moemesh-caller} is for: its peer, counted as the gateway counts peers. */
class CallerInterceptorTest {

    /** One IPv6 host owns a whole /64: one address per connection must not be a fresh share of the queue. */
    @Test
    void ipv6PeersOfOneSlash64AreOneCaller() throws Exception {
        String a = Peers.of(new InetSocketAddress(InetAddress.getByName("2001:db8:1:2::1"), 40000));
        String b = Peers.of(new InetSocketAddress(
                InetAddress.getByName("2001:db8:1:2:ffff:ffff:ffff:fffe"), 40001));
        String otherNetwork = Peers.of(new InetSocketAddress(
                InetAddress.getByName("2001:db8:1:3::1"), 40000));

        assertThat(a).isEqualTo(b).isEqualTo("2001:db8:1:2:0:0:0:0/64");
        assertThat(otherNetwork).isNotEqualTo(a);
    }

    @Test
    void ipv4PeersAreTheirAddressWhateverThePort() throws Exception {
        assertThat(Peers.of(new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 40000)))
                .isEqualTo(Peers.of(new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 1)))
                .isEqualTo("10.1.2.3");
    }
}
