package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.proto.status.RetryInfoDetail;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.v1.SamplingParams;
import io.moemesh.proto.v1.TokenIds;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** 1,000 tokens per minute per key; a request takes its prompt size + max_tokens at admission. */
class GatewayTokenBudgetTest {

    private final FakeTicker ticker = new FakeTicker();
    private final FakeRouter router = new FakeRouter("r0");
    private InProcessGateway gateway = gateway(1);

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void requestLargerThanTheWholeBudgetIsInvalidNamingBothNumbers() {
        StatusRuntimeException error = generateFails(InProcessGateway.KEY, ids(10), 2_000);

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(error.getStatus().getDescription()).contains("needs 2010 tokens (prompt_ids 10 + sampling.max_tokens"
                + " 2000)").contains("1000 per minute");
        assertThat(router.requests).isEmpty();
    }

    @Test
    void spentBudgetIsResourceExhaustedNamingTheBudgetWithARetryHint() {
        generate(InProcessGateway.KEY, ids(100), 300);
        generate(InProcessGateway.KEY, ids(100), 300);
        ticker.advance(Duration.ofSeconds(20));

        StatusRuntimeException error = generateFails(InProcessGateway.KEY, ids(100), 300);

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(error.getStatus().getDescription()).isEqualTo("token budget exceeded for this API key: at most 1000 "
                + "tokens (prompt + max_tokens) per minute, and this request needs 400; retry after 40s");
        assertThat(router.requests).hasSize(2);
    }

    @Test
    void spentBudgetCarriesRetryInfoWithTheWaitUntilItRefills() {
        generate(InProcessGateway.KEY, ids(100), 800);
        ticker.advance(Duration.ofMillis(20_500));

        StatusRuntimeException error = generateFails(InProcessGateway.KEY, ids(100), 300);

        assertThat(RetryInfoDetail.retryDelay(error)).hasValue(Duration.ofMillis(39_500));
        assertThat(error.getStatus().getDescription()).endsWith("retry after 40s");
    }

    @Test
    void requestLargerThanTheWholeBudgetCarriesNoRetryInfo() {
        assertThat(RetryInfoDetail.retryDelay(generateFails(InProcessGateway.KEY, ids(10), 2_000))).isEmpty();
    }

    @Test
    void anotherKeyHasItsOwnBudget() {
        generate(InProcessGateway.KEY, ids(100), 800);

        generate(InProcessGateway.OTHER_KEY, ids(100), 800);

        assertThat(router.requests).hasSize(2);
    }

    @Test
    void budgetRefillsAfterAMinute() {
        generate(InProcessGateway.KEY, ids(100), 800);
        generateFails(InProcessGateway.KEY, ids(100), 800);

        ticker.advance(Duration.ofMinutes(1));
        generate(InProcessGateway.KEY, ids(100), 800);

        assertThat(router.requests).hasSize(2);
    }

    @Test
    void textPromptCountsAsUtf8BytesOverFourRoundedUpAndDefaultMaxTokensCount() {
        gateway.close();
        gateway = gateway(1);
        GenerateRequest.Builder nineBytes = GenerateRequest.newBuilder().setPrompt("123456789");

        generate(InProcessGateway.KEY, nineBytes, 0); // 3 + 256
        generate(InProcessGateway.KEY, nineBytes, 738); // 3 + 738: the budget is spent exactly

        assertThat(generateFails(InProcessGateway.KEY, nineBytes, 1).getStatus().getDescription())
                .contains("needs 4;");
        assertThat(router.requests.getFirst().getSampling().getMaxTokens()).isEqualTo(256);
    }

    @Test
    void limitShareDividesTheBudget() {
        gateway.close();
        gateway = gateway(2);
        generate(InProcessGateway.KEY, ids(100), 300);

        StatusRuntimeException error = generateFails(InProcessGateway.KEY, ids(100), 300);

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(error.getStatus().getDescription()).contains(
                "at most 500 on this gateway (1000 shared by 2 gateways, moemesh.gateway.limit-share) tokens");
    }

    private InProcessGateway gateway(int limitShare) {
        return new InProcessGateway(new TestProperties().callerLimits(null, 1_000).limitShare(limitShare).build(),
                ticker, router);
    }

    private static GenerateRequest.Builder ids(int count) {
        TokenIds.Builder ids = TokenIds.newBuilder();
        for (int i = 0; i < count; i++) {
            ids.addIds(i);
        }
        return GenerateRequest.newBuilder().setPromptIds(ids);
    }

    private void generate(String key, GenerateRequest.Builder request, int maxTokens) {
        MoeMeshGrpc.MoeMeshBlockingStub stub = gateway.stub(key);
        stub.generate(request.setSampling(SamplingParams.newBuilder().setMaxTokens(maxTokens)).build())
                .forEachRemaining(response -> { });
    }

    private StatusRuntimeException generateFails(String key, GenerateRequest.Builder request, int maxTokens) {
        return catchThrowableOfType(StatusRuntimeException.class, () -> generate(key, request, maxTokens));
    }
}
