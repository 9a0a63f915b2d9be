package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A 429 from one of the gateway's own limits says when to come back in {@code Retry-After} (whole
 * seconds, rounded up), taken from the RetryInfo of the gRPC refusal; where no wait is known there
 * is no header.
 */
class OpenAiRetryAfterTest {

    private static final String COMPLETION = "{\"prompt\": \"a\", \"max_tokens\": 4}";

    private final FakeTicker ticker = new FakeTicker();
    private HttpGateway gateway;

    @AfterEach
    void close() {
        gateway.close();
    }

    /** Two a minute: the first completion also lists the models (a call of its own, which counts). */
    @Test
    void overTheRateLimitIs429WithRetryAfterUntilTheNextPeriod() {
        gateway = new HttpGateway(new TestProperties().rateLimit(2, Duration.ofMinutes(1)).build(), ticker);
        assertThat(gateway.post("/v1/completions", COMPLETION).statusCode()).isEqualTo(200);
        ticker.advance(Duration.ofMillis(15_200));

        HttpResponse<String> refused = gateway.post("/v1/completions", COMPLETION);

        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(refused.headers().firstValue("retry-after")).hasValue("45");
        assertThat(HttpGateway.json(refused).at("/error/message").asString()).contains("rate limit exceeded");
    }

    @Test
    void aStreamOverTheRateLimitIs429WithRetryAfter() {
        gateway = new HttpGateway(new TestProperties().rateLimit(2, Duration.ofMinutes(1)).build(), ticker);
        assertThat(gateway.post("/v1/completions", COMPLETION).statusCode()).isEqualTo(200);

        HttpResponse<String> refused = gateway.post("/v1/completions", "{\"prompt\": \"a\", \"stream\": true}");

        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(refused.headers().firstValue("retry-after")).hasValue("60");
    }

    @Test
    void overTheTokenBudgetIs429WithRetryAfterUntilItRefills() {
        gateway = new HttpGateway(new TestProperties().callerLimits(null, 1_000).build(), ticker);
        assertThat(gateway.post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 900}").statusCode())
                .isEqualTo(200);
        ticker.advance(Duration.ofSeconds(20));

        HttpResponse<String> refused = gateway.post("/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"max_tokens\": 200}");

        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(refused.headers().firstValue("retry-after")).hasValue("40");
        assertThat(HttpGateway.json(refused).at("/error/message").asString()).endsWith("retry after 40s");
    }

    @Test
    void overTheConcurrencyCapIs429WithoutRetryAfter() {
        gateway = new HttpGateway(new TestProperties().callerLimits(1, null).build(), ticker);
        gateway.router.script = FakeRouter.hanging();
        gateway.postAsync("/v1/completions", COMPLETION);
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.router.requests.size() == 1);

        HttpResponse<String> refused = gateway.post("/v1/completions", COMPLETION);

        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(HttpGateway.json(refused).at("/error/message").asString()).contains("too many concurrent");
        assertThat(refused.headers().firstValue("retry-after")).isEmpty();
    }

    @Test
    void theRoutersOwnResourceExhaustedPassesThroughWithoutRetryAfter() {
        gateway = new HttpGateway(new TestProperties().build(), ticker);
        gateway.router.script = FakeRouter.failing(Status.RESOURCE_EXHAUSTED.withDescription("KV cache budget"));

        HttpResponse<String> refused = gateway.post("/v1/completions", COMPLETION);

        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(HttpGateway.json(refused).at("/error/message").asString()).isEqualTo("KV cache budget");
        assertThat(refused.headers().firstValue("retry-after")).isEmpty();
    }
}
