package io.moemesh.core.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A {@code tokenizer.json} run by the Rust {@code tokenizers} library through DJL's binding. */
final class HuggingFaceTextTokenizer implements TextTokenizer {

    private final HuggingFaceTokenizer tokenizer;

    private HuggingFaceTextTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    static HuggingFaceTextTokenizer load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UncheckedIOException(new IOException(file + ": tokenizer file not found"));
        }
        try {
            // No truncation or padding: the engine checks lengths against the model itself.
            Map<String, String> options = Map.of("truncation", "false", "padding", "false");
            return new HuggingFaceTextTokenizer(HuggingFaceTokenizer.newInstance(file, options));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot load tokenizer: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": not a valid Hugging Face tokenizer.json: " + e.getMessage(), e);
        }
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

    @Override
    public void close() {
        tokenizer.close();
    }
}
