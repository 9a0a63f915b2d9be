package io.moemesh.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.gateway.FakeTicker;
import io.moemesh.service.Peers;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AuthFailureThrottleTest {

    private final FakeTicker ticker = new FakeTicker();
    private final AuthFailureThrottle throttle = new AuthFailureThrottle(3, Duration.ofMinutes(1), 100, ticker);

    @Test
    void peerIsRefusedAfterMaxFailuresForTheRestOfTheWindow() {
        for (int i = 0; i < 2; i++) {
            throttle.failed("10.0.0.1");
        }
        assertThat(throttle.refusedFor("10.0.0.1")).isZero();

        ticker.advance(Duration.ofSeconds(20));
        assertThat(throttle.failed("10.0.0.1")).isEqualTo(3);

        assertThat(throttle.refusedFor("10.0.0.1")).isEqualTo(Duration.ofSeconds(40));
    }

    @Test
    void otherPeersAreNotRefused() {
        for (int i = 0; i < 3; i++) {
            throttle.failed("10.0.0.1");
        }

        assertThat(throttle.refusedFor("10.0.0.2")).isZero();
    }

    @Test
    void aNewWindowStartsAfterTheOldOneEnds() {
        for (int i = 0; i < 3; i++) {
            throttle.failed("10.0.0.1");
        }
        ticker.advance(Duration.ofMinutes(1));

        assertThat(throttle.refusedFor("10.0.0.1")).isZero();
        assertThat(throttle.failed("10.0.0.1")).isEqualTo(1);
    }

    @Test
    void tableHoldsAtMostMaxPeersWhateverTheFlood() {
        for (int i = 0; i < 5_000; i++) {
            throttle.failed("10.0." + (i / 256) + "." + (i % 256));
        }

        assertThat(throttle.trackedPeers()).isEqualTo(100);
    }

    @Test
    void endedWindowsAreDroppedAsNewOnesOpen() {
        for (int i = 0; i < 50; i++) {
            throttle.failed("10.0.0." + i);
        }
        ticker.advance(Duration.ofMinutes(2));

        throttle.failed("10.0.1.1");

        assertThat(throttle.trackedPeers()).isEqualTo(1);
    }

    @Test
    void ipv6PeersAreCountedPerSlash64() throws Exception {
        String one = Peers.of(java.net.InetAddress.getByName("2001:db8:1:2::1"));
        String other = Peers.of(java.net.InetAddress.getByName("2001:db8:1:2:ffff::9"));

        assertThat(one).isEqualTo(other).endsWith("/64");
        assertThat(Peers.of(java.net.InetAddress.getByName("192.0.2.7"))).isEqualTo("192.0.2.7");
    }
}
