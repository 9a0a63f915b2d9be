package io.moemesh.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A tiny random Mixtral-layout model with many experts (64 by default), written as a Hugging Face
 * directory (config.json, BF16 model.safetensors, the byte tokenizer of {@code models/tiny-random}),
 * for tests and measurements of {@code moe up} with many expert processes. A few MiB, written at
 * test time rather than committed. Init follows {@code tools/reference/make_tiny_model.py}:
 * N(0, scale²/in_features) per linear, a sharper router (1.5) and vocabulary head (5), norms near 1.
 */
final class ManyExpertsModel {

    static final int HIDDEN = 64;
    static final int INTERMEDIATE = 32;
    static final int LAYERS = 2;
    static final int HEADS = 4;
    static final int KV_HEADS = 2;
    static final int VOCAB = 258;

    private final SplittableRandom random;
    private final Map<String, float[]> tensors = new LinkedHashMap<>();
    private final Map<String, int[]> shapes = new LinkedHashMap<>();

    private ManyExpertsModel(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** Writes the model with {@code experts} experts (top-2) into {@code dir}, unless it is there already. */
    static Path write(Path dir, int experts, Path tokenizerSource) throws IOException {
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
            return dir;
        }
        Files.createDirectories(dir);
        ManyExpertsModel m = new ManyExpertsModel(experts);
        m.weights(experts);
        Files.writeString(dir.resolve("config.json"), config(experts));
        Files.writeString(dir.resolve("generation_config.json"),
                "{\"bos_token_id\": 256, \"eos_token_id\": 257, \"max_new_tokens\": 32}\n");
        Files.copy(tokenizerSource.resolve("tokenizer.json"), dir.resolve("tokenizer.json"),
                StandardCopyOption.REPLACE_EXISTING);
        Path partial = dir.resolve("model.safetensors.partial");
        m.writeSafetensors(partial);
        Files.move(partial, dir.resolve("model.safetensors"), StandardCopyOption.ATOMIC_MOVE);
        return dir;
    }

    private static String config(int experts) {
        return """
                {
                  "architectures": ["MixtralForCausalLM"],
                  "model_type": "mixtral",
                  "hidden_size": %d,
                  "intermediate_size": %d,
                  "num_hidden_layers": %d,
                  "num_attention_heads": %d,
                  "num_key_value_heads": %d,
                  "num_local_experts": %d,
                  "num_experts_per_tok": 2,
                  "rms_norm_eps": 1e-05,
                  "rope_theta": 10000.0,
                  "vocab_size": %d,
                  "max_position_embeddings": 512,
                  "tie_word_embeddings": false,
                  "bos_token_id": 256,
                  "eos_token_id": 257,
                  "torch_dtype": "bfloat16"
                }
                """.formatted(HIDDEN, INTERMEDIATE, LAYERS, HEADS, KV_HEADS, experts, VOCAB);
    }

    private void weights(int experts) {
        int kv = KV_HEADS * (HIDDEN / HEADS);
        put("model.embed_tokens.weight", randn(VOCAB * HIDDEN, 1f), VOCAB, HIDDEN);
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".";
            put(p + "input_layernorm.weight", norm(), HIDDEN);
            linear(p + "self_attn.q_proj.weight", HIDDEN, HIDDEN, 1f);
            linear(p + "self_attn.k_proj.weight", kv, HIDDEN, 1f);
            linear(p + "self_attn.v_proj.weight", kv, HIDDEN, 1f);
            linear(p + "self_attn.o_proj.weight", HIDDEN, HIDDEN, 1f);
            put(p + "post_attention_layernorm.weight", norm(), HIDDEN);
            linear(p + "block_sparse_moe.gate.weight", experts, HIDDEN, 1.5f);
            for (int e = 0; e < experts; e++) {
                String q = p + "block_sparse_moe.experts." + e + ".";
                linear(q + "w1.weight", INTERMEDIATE, HIDDEN, 1f);
                linear(q + "w2.weight", HIDDEN, INTERMEDIATE, 1f);
                linear(q + "w3.weight", INTERMEDIATE, HIDDEN, 1f);
            }
        }
        put("model.norm.weight", norm(), HIDDEN);
        linear("lm_head.weight", VOCAB, HIDDEN, 5f);
    }

    private void linear(String name, int out, int in, float scale) {
        put(name, randn(out * in, (float) (scale / Math.sqrt(in))), out, in);
    }

    private float[] norm() {
        float[] w = randn(HIDDEN, 0.1f);
        for (int i = 0; i < w.length; i++) {
            w[i] += 1f;
        }
        return w;
    }

    private float[] randn(int n, float std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian() * std;
        }
        return v;
    }

    private void put(String name, float[] values, int... shape) {
        tensors.put(name, values);
        shapes.put(name, shape);
    }

    /** The safetensors layout: 8-byte little-endian header length, JSON header (space-padded to 8), data. */
    private void writeSafetensors(Path file) throws IOException {
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (Map.Entry<String, float[]> t : tensors.entrySet()) {
            long end = offset + 2L * t.getValue().length;
            int[] shape = shapes.get(t.getKey());
            header.append(header.length() > 1 ? "," : "").append('"').append(t.getKey()).append("\":{\"dtype\":\"BF16\","
                    + "\"shape\":").append(java.util.Arrays.toString(shape).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        header.append('}');
        while (header.length() % 8 != 0) {
            header.append(' ');
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
            out.write(json);
            for (float[] values : tensors.values()) {
                ByteBuffer data = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : values) {
                    data.putShort(bf16(v));
                }
                out.write(data.array());
            }
        }
    }

    /** float32 to bfloat16, rounding to nearest even (as torch's {@code .to(torch.bfloat16)}). */
    private static short bf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
