package io.moemesh.gateway.openai;

import java.util.List;

/** STUB until the chat-templates branch merges. */
public final class ChatTemplate {
    public static ChatTemplate compile(String t, String b, String e) { return new ChatTemplate(); }
    public String render(List<ChatMessage> messages, boolean add) {
        StringBuilder s = new StringBuilder();
        for (ChatMessage m : messages) s.append(m.role().equals("user") ? "User: " : "Assistant: ").append(m.content()).append("\n");
        return s.append(add ? "Assistant:" : "").toString();
    }
}
