package io.moemesh.gateway.openai;

/** One chat message as a chat template sees it: {@code role} and text {@code content}. */
public record ChatMessage(String role, String content) {
}
