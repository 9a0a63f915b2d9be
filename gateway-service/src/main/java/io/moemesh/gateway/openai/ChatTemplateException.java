package io.moemesh.gateway.openai;

import java.io.Serial;

/**
 * A conversation the model's chat template would not render: the template's own
 * {@code raise_exception(...)} text (e.g. roles that do not alternate), or what stopped Jinja. The
 * message is written for the API client, and is safe to return in a 400: it names nothing but the
 * template (which ListModels publishes anyway) and the conversation the client sent.
 */
public final class ChatTemplateException extends RuntimeException {

    @Serial
    private static final long serialVersionUID = 1L;

    public ChatTemplateException(String message) {
        super(message);
    }
}
