package io.moemesh.proto.validation;

/**
 * A request field has a value the gateway does not forward and the router does not run; the message
 * names the field and the rule (the services answer it with INVALID_ARGUMENT).
 */
public final class InvalidRequestException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InvalidRequestException(String message) {
        super(message, null, false, false);
    }
}
