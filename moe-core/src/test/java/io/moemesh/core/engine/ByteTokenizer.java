package io.moemesh.core.engine;

import io.moemesh.core.tokenizer.TextTokenizer;
import java.nio.charset.StandardCharsets;

/** A test tokenizer: one token per UTF-8 byte, decoded with U+FFFD for incomplete characters. */
final class ByteTokenizer implements TextTokenizer {

    @Override
    public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xFF;
        }
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        byte[] bytes = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            bytes[i] = (byte) ids[i];
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public byte[] tokenBytes(int id) {
        return new byte[] {(byte) id};
    }

    /** Java's UTF-8 decoder, like the ByteLevel one, decides nothing before a complete character by what follows. */
    @Override
    public boolean decodesPiecewise() {
        return true;
    }

    @Override
    public void close() {
    }
}
