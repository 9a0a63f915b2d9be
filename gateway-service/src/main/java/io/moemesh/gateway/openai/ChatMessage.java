package io.moemesh.gateway.openai;

import java.util.Objects;

/**
 * One turn of an OpenAI-style conversation as a chat template sees it: {@code messages[i]['role']}
 * and {@code messages[i]['content']}. Content is plain text; the HTTP layer joins the text parts of
 * a multi-part message and gives an absent content as the empty string.
 */
public record ChatMessage(String role, String content) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }
}
