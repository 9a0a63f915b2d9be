package io.moemesh.gateway.openai;

/** STUB until the chat-templates branch merges. */
public final class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String m) { super(m); }
}
