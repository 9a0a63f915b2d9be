package io.moemesh.placement.local;

/** A local expert process could not be started or stopped; the message says why and where its log is. */
public final class LocalProcessException extends RuntimeException {

    public LocalProcessException(String message) {
        super(message);
    }

    public LocalProcessException(String message, Throwable cause) {
        super(message, cause);
    }
}
