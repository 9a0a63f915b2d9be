package io.moemesh.gateway;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.Optional;

/** Reads a status's {@code google.rpc.RetryInfo} detail as a client library would. */
final class RetryInfoDetail {

    private RetryInfoDetail() {
    }

    /** The retry delay the status carries; empty when it carries no RetryInfo. */
    static Optional<Duration> of(StatusRuntimeException error) {
        com.google.rpc.Status details = StatusProto.fromThrowable(error);
        if (details == null) {
            return Optional.empty();
        }
        for (Any detail : details.getDetailsList()) {
            if (detail.is(RetryInfo.class)) {
                try {
                    com.google.protobuf.Duration delay = detail.unpack(RetryInfo.class).getRetryDelay();
                    return Optional.of(Duration.ofSeconds(delay.getSeconds(), delay.getNanos()));
                } catch (InvalidProtocolBufferException e) {
                    throw new AssertionError("RetryInfo detail does not parse", e);
                }
            }
        }
        return Optional.empty();
    }
}
