package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.gateway.access.ApiKeyAuthenticator;
import io.moemesh.gateway.access.ApiKeys;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Failed authentication, throttled per peer address: 10 failures per minute (the defaults). */
class GatewayAuthThrottleTest {

    private static final String PEER = "198.51.100.7";
    private static final String WRONG_KEY = "wrong-key-0123456789abcdef0123456789abcdef";

    private final FakeTicker ticker = new FakeTicker();
    private final FakeRouter router = new FakeRouter("r0");
    private final InProcessGateway gateway = new InProcessGateway(new TestProperties().build(), ticker, router);
    private final Logger log = (Logger) LoggerFactory.getLogger(ApiKeyAuthenticator.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    GatewayAuthThrottleTest() {
        logged.start();
        log.addAppender(logged);
    }

    @AfterEach
    void stop() {
        log.detachAppender(logged);
        gateway.close();
    }

    @Test
    void eleventhAttemptIsRefusedEvenWithAValidKeyNamingThePeerAndTheWait() {
        failTenTimes(PEER);
        ticker.advance(Duration.ofSeconds(15));

        StatusRuntimeException error = generateFails(gateway.stub(InProcessGateway.KEY, PEER));

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(error.getStatus().getDescription())
                .isEqualTo("too many failed authentication attempts from " + PEER + "; retry after 45s");
        assertThat(router.requests).isEmpty();
    }

    @Test
    void anotherPeerIsNotAffected() {
        failTenTimes(PEER);

        generate(gateway.stub(InProcessGateway.KEY, "198.51.100.8"));

        assertThat(router.requests).hasSize(1);
    }

    @Test
    void peerIsServedAgainOnceTheWindowHasPassed() {
        failTenTimes(PEER);
        ticker.advance(Duration.ofMinutes(1));

        generate(gateway.stub(InProcessGateway.KEY, PEER));

        assertThat(router.requests).hasSize(1);
    }

    @Test
    void failuresAreCountedInAMetricByOutcome() {
        failTenTimes(PEER);
        generateFails(gateway.stub(InProcessGateway.KEY, PEER));

        assertThat(gateway.meters.get("moemesh.gateway.auth.failures").tag("outcome", "rejected").counter().count())
                .isEqualTo(10.0);
        assertThat(gateway.meters.get("moemesh.gateway.auth.failures").tag("outcome", "throttled").counter().count())
                .isEqualTo(1.0);
    }

    @Test
    void eachFailureIsLoggedWithThePeerAndTheKeyFingerprintNeverTheKey() {
        generateFails(gateway.stub(WRONG_KEY, PEER));

        assertThat(logged.list).singleElement().satisfies(event -> {
            assertThat(event.getLevel()).hasToString("WARN");
            assertThat(event.getFormattedMessage()).contains(PEER).contains(ApiKeys.fingerprint(WRONG_KEY))
                    .doesNotContain(WRONG_KEY);
        });
    }

    @Test
    void failureLogIsRateLimited() {
        for (int i = 0; i < 100; i++) {
            generateFails(gateway.stub(WRONG_KEY, "203.0.113." + i));
        }

        assertThat(logged.list).hasSize(60);
        ticker.advance(Duration.ofMinutes(1));
        generateFails(gateway.stub(WRONG_KEY, PEER));
        assertThat(logged.list.getLast().getFormattedMessage()).contains("40 such lines left out");
    }

    private void failTenTimes(String peer) {
        for (int i = 0; i < 10; i++) {
            assertThat(generateFails(gateway.stub(i % 2 == 0 ? WRONG_KEY : null, peer)).getStatus().getDescription())
                    .startsWith("missing or invalid API key");
        }
    }

    private static void generate(MoeMeshGrpc.MoeMeshBlockingStub stub) {
        stub.generate(GenerateRequest.newBuilder().setPrompt("hi").build()).forEachRemaining(response -> { });
    }

    private static StatusRuntimeException generateFails(MoeMeshGrpc.MoeMeshBlockingStub stub) {
        return catchThrowableOfType(StatusRuntimeException.class, () -> generate(stub));
    }
}
