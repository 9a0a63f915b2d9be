package io.moemesh.core.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A {@code tokenizer.json} run by the Rust {@code tokenizers} library through DJL's binding. */
final class HuggingFaceTextTokenizer implements TextTokenizer {

    private final HuggingFaceTokenizer tokenizer;
    private final boolean piecewise;
    private final byte[][] tokenBytes; // by id, for a ByteLevel decoder; empty otherwise
    private final BitSet special; // ids of the added tokens marked special, which decode skips

    private HuggingFaceTextTokenizer(HuggingFaceTokenizer tokenizer, boolean piecewise, byte[][] tokenBytes,
            BitSet special) {
        this.tokenizer = tokenizer;
        this.piecewise = piecewise;
        this.tokenBytes = tokenBytes;
        this.special = special;
    }

    static HuggingFaceTextTokenizer load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UncheckedIOException(new IOException(file + ": tokenizer file not found"));
        }
        try {
            // No truncation or padding: the engine checks lengths against the model itself.
            Map<String, String> options = Map.of("truncation", "false", "padding", "false");
            JsonNode json = JsonMapper.shared().readTree(file);
            boolean byteLevel = hasByteLevelDecoder(json);
            byte[][] bytes = byteLevel ? ByteLevelTokens.table(json) : new byte[0][];
            return new HuggingFaceTextTokenizer(HuggingFaceTokenizer.newInstance(file, options), byteLevel, bytes,
                    specialIds(json));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot load tokenizer: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": not a valid Hugging Face tokenizer.json: " + e.getMessage(), e);
        }
    }

    /**
     * The ByteLevel decoder (GPT-2's) turns each token into its bytes and decodes their concatenation
     * as UTF-8, one U+FFFD per malformed sequence (tokenizers 0.21, {@code ByteLevel::decode_chain}),
     * after the library has looked up each id on its own ({@code TokenizerImpl::decode}): so the text
     * of ids that follow a complete character does not depend on the ids before. DJL's clean-up of
     * tokenization spaces would break that; it comes from a tokenizer_config.json, which this class
     * never gives DJL (it passes the file, not the directory).
     */
    private static boolean hasByteLevelDecoder(JsonNode json) {
        JsonNode type = json.path("decoder").path("type");
        return type.isString() && type.stringValue().equals("ByteLevel");
    }

    /**
     * The {@code added_tokens} marked {@code "special": true}: the library's decode with
     * {@code skip_special_tokens} leaves exactly these out ({@code AddedVocabulary::is_special_token}).
     */
    private static BitSet specialIds(JsonNode json) {
        BitSet ids = new BitSet();
        for (JsonNode token : json.path("added_tokens")) {
            if (token.path("special").asBoolean(false) && token.path("id").canConvertToInt()) {
                ids.set(token.path("id").asInt());
            }
        }
        return ids;
    }

    @Override
    public int[] encode(String text) {
        Encoding encoding = tokenizer.encode(text, true, false);
        long[] ids = encoding.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] wide = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            wide[i] = ids[i];
        }
        return tokenizer.decode(wide, true);
    }

    /** Exact for a ByteLevel decoder (the token's own bytes, from the vocabulary); else the interface's default. */
    @Override
    public byte[] tokenBytes(int id) {
        if (id >= 0 && id < tokenBytes.length && tokenBytes[id] != null) {
            return tokenBytes[id].clone();
        }
        return TextTokenizer.super.tokenBytes(id);
    }

    @Override
    public boolean decodesPiecewise() {
        return piecewise;
    }

    @Override
    public boolean skippedInDecode(int id) {
        return id >= 0 && special.get(id);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
