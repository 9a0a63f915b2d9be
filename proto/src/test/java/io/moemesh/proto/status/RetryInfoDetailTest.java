package io.moemesh.proto.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.DebugInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A retry hint is read when it is usable advice, and anything odd about it is no hint, never a failure. */
class RetryInfoDetailTest {

    @Test
    void readsTheDelayOfARetryInfoDetail() {
        assertThat(RetryInfoDetail.retryDelay(refusal(delay(2, 500_000_000)))).hasValue(Duration.ofMillis(2_500));
        assertThat(RetryInfoDetail.retryDelay(refusal(delay(86_400, 0)))).hasValue(RetryInfoDetail.MAX_DELAY);
    }

    @Test
    void noTrailersOrNoRetryInfoIsNoHint() {
        assertThat(RetryInfoDetail.retryDelay(Status.RESOURCE_EXHAUSTED, null)).isEmpty();
        assertThat(RetryInfoDetail.retryDelay(Status.RESOURCE_EXHAUSTED.asRuntimeException())).isEmpty();
        Any debug = Any.pack(DebugInfo.newBuilder().setDetail("not a retry hint").build());
        assertThat(RetryInfoDetail.retryDelay(refusal(debug))).isEmpty();
    }

    /** A hostile or broken server's values: none may throw (an escaping exception would hang a streaming caller). */
    @Test
    void aDelayThatIsNoUsableAdviceIsNoHint() {
        assertThat(RetryInfoDetail.retryDelay(refusal(delay(-1, 0)))).as("negative").isEmpty();
        assertThat(RetryInfoDetail.retryDelay(refusal(delay(0, -5)))).as("negative nanos").isEmpty();
        assertThat(RetryInfoDetail.retryDelay(refusal(delay(Long.MAX_VALUE, 2_000_000_000))))
                .as("nanos out of range at the largest seconds").isEmpty();
        assertThat(RetryInfoDetail.retryDelay(refusal(delay(86_400, 1)))).as("over a day").isEmpty();
        assertThat(RetryInfoDetail.retryDelay(refusal(delay(Long.MAX_VALUE, 0)))).as("forever").isEmpty();
    }

    @Test
    void trailersThatDoNotParseOrNameAnotherCodeAreNoHint() {
        Metadata garbage = new Metadata();
        garbage.put(Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER),
                "not a protobuf \u00ff\u00fe".getBytes(StandardCharsets.UTF_8));
        assertThat(RetryInfoDetail.retryDelay(Status.RESOURCE_EXHAUSTED, garbage)).isEmpty();

        Metadata trailers = Status.trailersFromThrowable(refusal(delay(1, 0)));
        assertThat(RetryInfoDetail.retryDelay(Status.UNAVAILABLE, trailers)).as("code mismatch").isEmpty();
        assertThat(RetryInfoDetail.retryDelay(Status.RESOURCE_EXHAUSTED, trailers)).hasValue(Duration.ofSeconds(1));
    }

    private static Any delay(long seconds, int nanos) {
        return Any.pack(RetryInfo.newBuilder()
                .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(seconds).setNanos(nanos)).build());
    }

    private static StatusRuntimeException refusal(Any detail) {
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED.getNumber()).setMessage("rate limit exceeded").addDetails(detail).build());
    }
}
