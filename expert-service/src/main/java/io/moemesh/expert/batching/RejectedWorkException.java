package io.moemesh.expert.batching;

/** Why queued work was refused or dropped without being computed; the message says what to do. */
public final class RejectedWorkException extends RuntimeException {

    public enum Reason {
        QUEUE_FULL,
        DEADLINE_EXCEEDED,
        CANCELLED,
        SHUTTING_DOWN,
        FAILED
    }

    private static final long serialVersionUID = 1L;

    private final Reason reason;

    public RejectedWorkException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public RejectedWorkException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
