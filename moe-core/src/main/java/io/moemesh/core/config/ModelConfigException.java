package io.moemesh.core.config;

/** A model configuration that moe-mesh cannot serve; the message names the file and the field. */
public final class ModelConfigException extends RuntimeException {

    public ModelConfigException(String message) {
        super(message);
    }

    public ModelConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
