package io.moemesh.expert.compute;

/**
 * A re-placement that was refused or failed, with a message a caller can act on. Nothing changed:
 * the endpoint hosts what it hosted before the call. The kinds are the gRPC status codes the
 * inbound adapter answers with.
 */
public final class RePlacementException extends RuntimeException {

    public enum Kind {
        INVALID_ARGUMENT,
        INTERNAL
    }

    private static final long serialVersionUID = 1L;

    private final Kind kind;

    public RePlacementException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public static RePlacementException invalidArgument(String message) {
        return new RePlacementException(Kind.INVALID_ARGUMENT, message, null);
    }

    public Kind kind() {
        return kind;
    }
}
