package io.moemesh.placement.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.moemesh.placement.round.RouterPort;
import io.moemesh.placement.round.RouterSource;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Router pods found through a headless Service's DNS records, with a resolver the test scripts. */
class RouterDirectoryTest {

    private static final String HEADLESS = "dns:///moe-router-headless.ns.svc:50056";

    private final Map<String, List<InetAddress>> dns = new HashMap<>();
    private final List<String> connected = new ArrayList<>();
    private final Map<String, ManagedChannel> channels = new HashMap<>();
    private RouterDirectory directory;

    @AfterEach
    void close() {
        if (directory != null) {
            directory.close();
        }
    }

    private RouterDirectory directory(String... entries) {
        directory = new RouterDirectory(List.of(entries), host -> {
            List<InetAddress> addresses = dns.get(host);
            if (addresses == null) {
                throw new UnknownHostException(host);
            }
            return addresses;
        }, (address, authority) -> {
            connected.add(address + " as " + authority);
            ManagedChannel channel = InProcessChannelBuilder.forName(address).build();
            channels.put(address, channel);
            return new RouterClient(address, channel, Duration.ofSeconds(1), Duration.ofSeconds(1));
        });
        return directory;
    }

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal); // a literal: no lookup
    }

    private static List<String> names(RouterSource.Routers routers) {
        return routers.routers().stream().map(RouterPort::name).toList();
    }

    @Test
    void aDnsEntryIsEveryAddressItsNameResolvesToVerifiedAsTheName() throws Exception {
        dns.put("moe-router-headless.ns.svc", List.of(ip("10.0.0.7"), ip("10.0.0.8"), ip("fd00::9")));

        RouterSource.Routers found = directory(HEADLESS).routers();

        assertThat(names(found)).containsExactly("10.0.0.7:50056", "10.0.0.8:50056", "[fd00:0:0:0:0:0:0:9]:50056");
        assertThat(found.problems()).isEmpty();
        assertThat(connected).allMatch(c -> c.endsWith(" as moe-router-headless.ns.svc"));
    }

    @Test
    void aPlainEntryIsOneRouterWithItsOwnName() {
        RouterSource.Routers found = directory("127.0.0.1:50056").routers();

        assertThat(names(found)).containsExactly("127.0.0.1:50056");
        assertThat(connected).containsExactly("127.0.0.1:50056 as null");
    }

    @Test
    void routersThatStayKeepTheirChannelAndRoutersThatGoAreClosed() throws Exception {
        dns.put("moe-router-headless.ns.svc", List.of(ip("10.0.0.7"), ip("10.0.0.8")));
        RouterDirectory routers = directory(HEADLESS);
        routers.routers();
        dns.put("moe-router-headless.ns.svc", List.of(ip("10.0.0.8"), ip("10.0.0.10")));

        RouterSource.Routers after = routers.routers();

        assertThat(names(after)).containsExactly("10.0.0.8:50056", "10.0.0.10:50056");
        assertThat(connected).hasSize(3); // 10.0.0.8 kept its channel
        assertThat(channels.get("10.0.0.7:50056").isShutdown()).isTrue();
        assertThat(channels.get("10.0.0.8:50056").isShutdown()).isFalse();
    }

    @Test
    void aNameThatDoesNotResolveIsReportedNotSilentlySkipped() {
        RouterSource.Routers found = directory(HEADLESS, "127.0.0.1:50056").routers();

        assertThat(names(found)).containsExactly("127.0.0.1:50056");
        assertThat(found.problems()).singleElement().asString()
                .startsWith("no router found at " + HEADLESS + ": moe-router-headless.ns.svc does not resolve");
    }
}
