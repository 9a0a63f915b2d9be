package io.moemesh.client.internal;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;

/**
 * Reads the {@code google.rpc.RetryInfo} detail a server attaches to a refusal (the gateway to its
 * RESOURCE_EXHAUSTED answers), in the {@code grpc-status-details-bin} trailer: how long to wait before
 * sending again.
 */
public final class RetryInfoDetail {

    private RetryInfoDetail() {
    }

    /** The retry delay in {@code trailers}, or null when there is none (or it is malformed or negative). */
    public static Duration retryDelay(Status status, Metadata trailers) {
        if (trailers == null) {
            return null;
        }
        try {
            for (Any detail : StatusProto.fromStatusAndTrailers(status, trailers).getDetailsList()) {
                if (detail.is(RetryInfo.class)) {
                    com.google.protobuf.Duration delay = detail.unpack(RetryInfo.class).getRetryDelay();
                    Duration retryDelay = Duration.ofSeconds(delay.getSeconds(), delay.getNanos());
                    return retryDelay.isNegative() ? null : retryDelay;
                }
            }
        } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
            // a details trailer that does not parse, or whose code is not the call's: no advice to follow
        }
        return null;
    }
}
