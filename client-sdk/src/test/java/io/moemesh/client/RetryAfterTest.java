package io.moemesh.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link RateLimitedException#retryAfter()}: the {@code google.rpc.RetryInfo} of a refusal's status details. */
class RetryAfterTest {

    private final InProcessMoeMesh mesh = new InProcessMoeMesh();
    private final MoeMeshClient client = mesh.client();

    @AfterEach
    void stop() {
        client.close();
        mesh.close();
    }

    @Test
    void aRefusalWithRetryInfoCarriesItsDelay() {
        mesh.fake.script = refusedWith(retryInfo(1, 500_000_000));

        RateLimitedException error = catchThrowableOfType(RateLimitedException.class,
                () -> client.generate(GenerateOptions.ofPrompt("x")));

        assertThat(error.retryAfter()).contains(Duration.ofMillis(1_500));
        assertThat(error).hasMessage("RESOURCE_EXHAUSTED: rate limit of key k-1 exceeded");
    }

    @Test
    void aRefusalWithoutDetailsHasNoRetryAfter() {
        mesh.fake.script = FakeMoeMesh.failingWith(Status.RESOURCE_EXHAUSTED.withDescription("router queue full"));

        RateLimitedException error = catchThrowableOfType(RateLimitedException.class,
                () -> client.generate(GenerateOptions.ofPrompt("x")));

        assertThat(error.retryAfter()).isEmpty();
    }

    @Test
    void detailsWithoutRetryInfoGiveNoRetryAfter() {
        mesh.fake.script = refusedWith(Any.pack(ErrorInfo.newBuilder().setReason("RATE_LIMITED").build()));

        RateLimitedException error = catchThrowableOfType(RateLimitedException.class,
                () -> client.generate(GenerateOptions.ofPrompt("x")));

        assertThat(error.retryAfter()).isEmpty();
    }

    @Test
    void aNegativeRetryDelayIsIgnored() {
        mesh.fake.script = refusedWith(retryInfo(-1, 0));

        RateLimitedException error = catchThrowableOfType(RateLimitedException.class,
                () -> client.generate(GenerateOptions.ofPrompt("x")));

        assertThat(error.retryAfter()).isEmpty();
    }

    @Test
    void aStreamingListenerGetsTheRetryDelayToo() throws Exception {
        mesh.fake.script = refusedWith(retryInfo(2, 0));
        RecordingListener listener = new RecordingListener();

        client.stream(GenerateOptions.ofPrompt("x"), listener);

        assertThat(listener.error.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(RateLimitedException.class,
                e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(2)));
    }

    @Test
    void aPulledStreamThrowsTheRetryDelay() {
        mesh.fake.script = refusedWith(retryInfo(0, 250_000_000));

        try (GenerationStream stream = client.stream(GenerateOptions.ofPrompt("x"))) {
            RateLimitedException error = catchThrowableOfType(RateLimitedException.class, stream::hasNext);
            assertThat(error.retryAfter()).contains(Duration.ofMillis(250));
        }
    }

    private static Any retryInfo(long seconds, int nanos) {
        return Any.pack(RetryInfo.newBuilder().setRetryDelay(com.google.protobuf.Duration.newBuilder()
                .setSeconds(seconds).setNanos(nanos)).build());
    }

    /** The server refuses with RESOURCE_EXHAUSTED and {@code detail} in the status details trailer. */
    private static FakeMoeMesh.Script refusedWith(Any detail) {
        com.google.rpc.Status status = com.google.rpc.Status.newBuilder().setCode(Code.RESOURCE_EXHAUSTED_VALUE)
                .setMessage("rate limit of key k-1 exceeded").addDetails(detail).build();
        return (request, responses) -> responses.onError(StatusProto.toStatusRuntimeException(status));
    }
}
