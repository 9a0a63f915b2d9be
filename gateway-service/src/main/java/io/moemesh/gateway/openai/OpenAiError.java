package io.moemesh.gateway.openai;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.gateway.access.LimitExceededException;
import io.moemesh.proto.status.RetryInfoDetail;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A refusal in OpenAI's shape: the HTTP status and the {@code error} object
 * ({@code message}, {@code type}, {@code param}, {@code code}) that OpenAI's client libraries turn
 * into their typed exceptions (401 → AuthenticationError, 404 → NotFoundError, 429 → RateLimitError…).
 * The message is written for the caller; nothing internal goes into it. A status that says how long
 * to wait (a {@code google.rpc.RetryInfo} detail, which the gateway's own limits attach) adds
 * {@code Retry-After} in whole seconds, rounded up, which OpenAI's clients wait before retrying.
 */
final class OpenAiError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private static final Pattern LEADING_FIELD = Pattern.compile("([a-z_]+)(\\[\\d+])? (is|has|must) ");

    private final int status;
    private final String type;
    private final String param;
    private final String code;
    /** How long the caller should wait before retrying; null when nobody said. */
    private final Duration retryAfter;

    OpenAiError(int status, String type, String param, String code, String message) {
        this(status, type, param, code, message, null);
    }

    private OpenAiError(int status, String type, String param, String code, String message, Duration retryAfter) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfter = retryAfter;
    }

    /** 400 for a field the caller can fix. */
    static OpenAiError invalid(String param, String message) {
        return new OpenAiError(400, "invalid_request_error", param, null, message);
    }

    /** 400 for a field or value moe-mesh does not implement (the docs list them). */
    static OpenAiError unsupported(String param, String message) {
        return new OpenAiError(400, "invalid_request_error", param, "unsupported_parameter", message);
    }

    static OpenAiError modelNotFound(String model, String served) {
        return new OpenAiError(404, "invalid_request_error", "model", "model_not_found",
                "The model '" + model + "' does not exist; this deployment serves: " + served);
    }

    /**
     * The gateway's gRPC status as OpenAI would answer it. Validation messages name the protocol's
     * fields ({@code sampling.max_tokens}); here they are the HTTP body's ({@code max_tokens}).
     */
    static OpenAiError fromStatus(Status status, Metadata trailers) {
        OpenAiError error = fromStatus(status);
        Duration retryAfter = RetryInfoDetail.retryDelay(status, trailers).orElse(null);
        return retryAfter == null ? error
                : new OpenAiError(error.status, error.type, error.param, error.code, error.getMessage(), retryAfter);
    }

    private static OpenAiError fromStatus(Status status) {
        String message = status.getDescription() == null ? status.getCode().toString() : status.getDescription();
        message = message.replace("sampling.", "").replace("prompt_ids", "prompt");
        return switch (status.getCode()) {
            case INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION ->
                new OpenAiError(400, "invalid_request_error", fieldNamed(message), null, message);
            case UNAUTHENTICATED -> new OpenAiError(401, "authentication_error", null, "invalid_api_key", message);
            case PERMISSION_DENIED -> new OpenAiError(403, "permission_error", null, null, message);
            case NOT_FOUND -> new OpenAiError(404, "invalid_request_error", "model", "model_not_found", message);
            case RESOURCE_EXHAUSTED -> new OpenAiError(429, "rate_limit_error", null, "rate_limit_exceeded", message);
            case UNAVAILABLE -> new OpenAiError(503, "server_error", null, "service_unavailable", message);
            case DEADLINE_EXCEEDED -> new OpenAiError(504, "server_error", null, "timeout", message);
            // the caller left; nobody reads this, but the access log does
            case CANCELLED -> new OpenAiError(499, "invalid_request_error", null, "cancelled", message);
            default -> new OpenAiError(500, "server_error", null, null, message);
        };
    }

    /** The field a validation message starts with ({@code max_tokens is 5000; the limit…}), if any. */
    private static String fieldNamed(String message) {
        Matcher field = LEADING_FIELD.matcher(message);
        return field.lookingAt() ? field.group(1) : null;
    }

    /** Any failure of a call: a status as above, this itself, or an unexpected exception (500, logged by the caller). */
    static OpenAiError of(Throwable failure, String requestId) {
        if (failure instanceof OpenAiError e) {
            return e;
        }
        if (failure instanceof StatusRuntimeException e) {
            return fromStatus(e.getStatus(), e.getTrailers());
        }
        return new OpenAiError(500, "server_error", null, null, "internal error; request id " + requestId);
    }

    int status() {
        return status;
    }

    String type() {
        return type;
    }

    String param() {
        return param;
    }

    String code() {
        return code;
    }

    /** The HTTP headers that go with this error: {@code Retry-After} when the wait is known. */
    Map<String, String> headers() {
        return retryAfter == null || retryAfter.isNegative() ? Map.of()
                : Map.of("Retry-After", Long.toString(LimitExceededException.wholeSeconds(retryAfter)));
    }
}
