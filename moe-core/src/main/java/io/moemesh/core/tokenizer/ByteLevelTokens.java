package io.moemesh.core.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The bytes of every token of a byte-level BPE vocabulary (GPT-2's): each byte is written in the
 * vocabulary as one printable character, by {@code bytes_to_unicode} in OpenAI's GPT-2
 * {@code encoder.py} (and {@code tokenizers}' {@code ByteLevel}): the bytes {@code !..~}, {@code ¡..¬}
 * and {@code ®..ÿ} as themselves, the other 68 as U+0100 onwards in byte order. Added tokens are
 * written as their text.
 */
final class ByteLevelTokens {

    private static final int[] BYTE_OF_CHAR = byteOfChar();

    private ByteLevelTokens() {
    }

    /** Bytes by id for {@code model.vocab} and {@code added_tokens}; null where a token is not byte-level text. */
    static byte[][] table(JsonNode tokenizerJson) {
        JsonNode vocab = tokenizerJson.path("model").path("vocab");
        JsonNode added = tokenizerJson.path("added_tokens");
        int size = 0;
        if (vocab.isObject()) {
            for (Map.Entry<String, JsonNode> e : vocab.properties()) {
                size = Math.max(size, e.getValue().asInt() + 1);
            }
        }
        for (JsonNode t : added) {
            size = Math.max(size, t.path("id").asInt() + 1);
        }
        byte[][] table = new byte[size][];
        if (vocab.isObject()) {
            for (Map.Entry<String, JsonNode> e : vocab.properties()) {
                table[e.getValue().asInt()] = bytes(e.getKey());
            }
        }
        for (JsonNode t : added) {
            table[t.path("id").asInt()] = t.path("content").asString().getBytes(StandardCharsets.UTF_8);
        }
        return table;
    }

    /** The bytes a vocabulary entry stands for; null if it has a character outside the byte alphabet. */
    static byte[] bytes(String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(token.length());
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c >= BYTE_OF_CHAR.length || BYTE_OF_CHAR[c] < 0) {
                return null;
            }
            out.write(BYTE_OF_CHAR[c]);
        }
        return out.toByteArray();
    }

    private static int[] byteOfChar() {
        int[] byteOf = new int[256 + 68];
        Arrays.fill(byteOf, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            byteOf[printable ? b : next++] = b;
        }
        return byteOf;
    }
}
