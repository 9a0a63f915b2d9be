package io.moemesh.expert.unit;

/** The configured units cannot be hosted from the configured model directory; the message says why. */
public final class UnitLoadException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    UnitLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
