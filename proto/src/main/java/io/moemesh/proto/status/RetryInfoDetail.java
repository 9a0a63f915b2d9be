package io.moemesh.proto.status;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@code google.rpc.RetryInfo} detail of a gRPC status, in its {@code grpc-status-details-bin}
 * trailer: how long the server asks the caller to wait before sending again. The gateway attaches one
 * to its rate-limit refusals; the SDK and the gateway's OpenAI-compatible API read it here.
 *
 * <p>A detail is advice from the other side of the network, so anything odd about it is no advice
 * rather than a failure: trailers that do not parse or name another code, a negative delay, nanos
 * out of range, or a delay over {@link #MAX_DELAY} (no caller should sleep on that).
 */
public final class RetryInfoDetail {

    /** The longest delay taken as advice. */
    public static final Duration MAX_DELAY = Duration.ofDays(1);

    private RetryInfoDetail() {
    }

    /** The delay the status and its trailers (null for none) carry, when they carry a usable one. */
    public static Optional<Duration> retryDelay(Status status, Metadata trailers) {
        if (trailers == null) {
            return Optional.empty();
        }
        try {
            com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(status, trailers);
            for (Any detail : details.getDetailsList()) {
                if (detail.is(RetryInfo.class)) {
                    return usable(detail.unpack(RetryInfo.class).getRetryDelay());
                }
            }
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            // a details trailer that does not parse, or whose code is not the call's: no advice to follow
        }
        return Optional.empty();
    }

    /** The delay a failed call's status exception carries, as {@link #retryDelay(Status, Metadata)}. */
    public static Optional<Duration> retryDelay(Throwable error) {
        return retryDelay(Status.fromThrowable(error), Status.trailersFromThrowable(error));
    }

    // com.google.protobuf.Duration: the wire type's name clashes with java.time.Duration
    private static Optional<Duration> usable(com.google.protobuf.Duration delay) {
        if (delay.getSeconds() < 0 || delay.getNanos() < 0 || delay.getNanos() > 999_999_999
                || delay.getSeconds() > MAX_DELAY.toSeconds()) {
            return Optional.empty();
        }
        Duration wait = Duration.ofSeconds(delay.getSeconds(), delay.getNanos());
        return wait.compareTo(MAX_DELAY) > 0 ? Optional.empty() : Optional.of(wait);
    }
}
