package io.moemesh.core.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a chat front end needs from a Hugging Face model's {@code tokenizer_config.json}: the Jinja
 * chat template and the special tokens it may name. The engine itself never reads this file (DJL is
 * given {@code tokenizer.json} alone); the router only passes these strings on to gateways.
 *
 * @param chatTemplate the Jinja source, empty when the model ships none
 * @param bosToken     the beginning-of-sequence token's text, empty when absent
 * @param eosToken     the end-of-sequence token's text, empty when absent
 */
public record TokenizerConfig(String chatTemplate, String bosToken, String eosToken) {

    /** A model without a {@code tokenizer_config.json}: no template, no special tokens. */
    public static final TokenizerConfig EMPTY = new TokenizerConfig("", "", "");

    static final String CONFIG_FILE = "tokenizer_config.json";
    /** Where transformers ≥ 4.43 saves the template instead of inside {@code tokenizer_config.json}. */
    static final String TEMPLATE_FILE = "chat_template.jinja";

    public TokenizerConfig {
        Objects.requireNonNull(chatTemplate, "chatTemplate");
        Objects.requireNonNull(bosToken, "bosToken");
        Objects.requireNonNull(eosToken, "eosToken");
    }

    /**
     * Reads {@code tokenizer_config.json} from a model directory, and {@code chat_template.jinja}
     * when the JSON has no template; missing files mean empty fields.
     *
     * @throws IllegalArgumentException when a file is not UTF-8 or not in the Hugging Face format, naming it
     * @throws UncheckedIOException     when a file exists but cannot be read
     */
    public static TokenizerConfig load(Path modelDir) {
        Path configFile = modelDir.resolve(CONFIG_FILE);
        TokenizerConfig config = Files.isRegularFile(configFile)
                ? parse(read(configFile), configFile.toString()) : EMPTY;
        Path templateFile = modelDir.resolve(TEMPLATE_FILE);
        if (config.chatTemplate().isEmpty() && Files.isRegularFile(templateFile)) {
            return new TokenizerConfig(read(templateFile), config.bosToken(), config.eosToken());
        }
        return config;
    }

    /** Parses the JSON of a {@code tokenizer_config.json}; {@code source} names it in error messages. */
    static TokenizerConfig parse(String json, String source) {
        JsonNode root;
        try {
            root = JsonMapper.shared().readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + ": expected a JSON object");
        }
        return new TokenizerConfig(template(root.path("chat_template"), source),
                token(root.path("bos_token"), "bos_token", source),
                token(root.path("eos_token"), "eos_token", source));
    }

    /**
     * A string, or (tokenizers saved with several templates, e.g. {@code tool_use}) a list of
     * {@code {"name", "template"}} objects of which transformers applies the one named "default".
     */
    private static String template(JsonNode node, String source) {
        if (node.isMissingNode() || node.isNull()) {
            return "";
        }
        if (node.isString()) {
            return node.stringValue();
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException(source + ": chat_template must be a string or a list of "
                    + "{\"name\", \"template\"} objects, not " + node.getNodeType());
        }
        JsonNode chosen = null;
        for (JsonNode entry : node) {
            if (!entry.isObject() || !entry.path("name").isString() || !entry.path("template").isString()) {
                throw new IllegalArgumentException(source + ": every chat_template entry must be an object with "
                        + "string fields \"name\" and \"template\"");
            }
            if (chosen == null || entry.path("name").stringValue().equals("default")
                    && !chosen.path("name").stringValue().equals("default")) {
                chosen = entry;
            }
        }
        return chosen == null ? "" : chosen.path("template").stringValue();
    }

    /** A string, or the {@code AddedToken} form {@code {"content": "<s>", "lstrip": false, ...}}. */
    private static String token(JsonNode node, String field, String source) {
        if (node.isMissingNode() || node.isNull()) {
            return "";
        }
        if (node.isString()) {
            return node.stringValue();
        }
        if (node.isObject() && node.path("content").isString()) {
            return node.path("content").stringValue();
        }
        throw new IllegalArgumentException(source + ": " + field
                + " must be a string, null or an object with a string \"content\", not " + node.getNodeType());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not UTF-8 text", e);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
