package io.moemesh.gateway.generate;

/** A request field has a value the gateway does not forward; the message names the field and the rule. */
public final class InvalidRequestException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InvalidRequestException(String message) {
        super(message, null, false, false);
    }
}
