package io.moemesh.gateway.openai;

import com.google.protobuf.ByteString;
import io.moemesh.proto.v1.TokenLogprob;
import io.moemesh.proto.v1.TopLogprob;
import java.nio.charset.StandardCharsets;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The router's log probabilities (raw: the model's distribution before penalties, temperature and
 * cuts; see moe-core's {@code TokenLogprobs}) in OpenAI's two shapes. A token is its own bytes, which
 * for a byte-level tokenizer may be part of a character: its {@code token} text is then the bytes
 * decoded with U+FFFD for the part, and chat's {@code bytes} field carries them exactly, which is
 * what OpenAI added it for.
 */
final class OpenAiLogprobs {

    private OpenAiLogprobs() {
    }

    static String text(ByteString token) {
        return token.toString(StandardCharsets.UTF_8);
    }

    /** Chat: {@code {"content": [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]}}. */
    static ObjectNode chat(List<TokenLogprob> tokens) {
        ObjectNode logprobs = OpenAiResponses.JSON.createObjectNode();
        ArrayNode content = logprobs.putArray("content");
        for (TokenLogprob t : tokens) {
            ObjectNode entry = entry(content.addObject(), t.getToken(), t.getLogprob());
            ArrayNode top = entry.putArray("top_logprobs");
            for (TopLogprob alternative : t.getTopList()) {
                entry(top.addObject(), alternative.getToken(), alternative.getLogprob());
            }
        }
        return logprobs;
    }

    private static ObjectNode entry(ObjectNode node, ByteString token, float logprob) {
        node.put("token", text(token)).put("logprob", logprob);
        ArrayNode bytes = node.putArray("bytes");
        for (int i = 0; i < token.size(); i++) {
            bytes.add(token.byteAt(i) & 0xff);
        }
        return node;
    }

    /**
     * Completions (the legacy shape): {@code tokens}, {@code token_logprobs}, {@code top_logprobs}
     * (one {token: logprob} map per token) and {@code text_offset}, each token's character offset in
     * the choice's text, counted from {@code offset} (where earlier chunks of a stream ended).
     */
    static ObjectNode completion(List<TokenLogprob> tokens, int offset) {
        ObjectNode logprobs = OpenAiResponses.JSON.createObjectNode();
        ArrayNode text = logprobs.putArray("tokens");
        ArrayNode values = logprobs.putArray("token_logprobs");
        ArrayNode top = logprobs.putArray("top_logprobs");
        ArrayNode offsets = logprobs.putArray("text_offset");
        int at = offset;
        for (TokenLogprob t : tokens) {
            String token = text(t.getToken());
            text.add(token);
            values.add(t.getLogprob());
            ObjectNode alternatives = top.addObject();
            for (TopLogprob alternative : t.getTopList()) {
                alternatives.put(text(alternative.getToken()), alternative.getLogprob());
            }
            offsets.add(at);
            at += token.length();
        }
        return logprobs;
    }

    /** Characters the tokens' texts take: where the next chunk's {@code text_offset} starts. */
    static int length(List<TokenLogprob> tokens) {
        int length = 0;
        for (TokenLogprob t : tokens) {
            length += text(t.getToken()).length();
        }
        return length;
    }
}
