package io.moemesh.router.grpc;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.tokenizer.TokenizerConfig;
import java.util.Objects;

/**
 * The model a router serves, as ListModels describes it to gateways: its shape, how many experts
 * each token uses, and the chat template and special tokens a gateway needs to turn an OpenAI-style
 * conversation into a prompt (the gateway never reads the model directory itself).
 *
 * @param name      the name requests must use (the model directory's name)
 * @param topK      experts per token as the router runs it (may differ from the config's)
 * @param tokenizer the model's {@code tokenizer_config.json}; {@link TokenizerConfig#EMPTY} when it has none
 */
public record ServedModel(String name, ModelConfig config, int topK, TokenizerConfig tokenizer) {

    public ServedModel {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(tokenizer, "tokenizer");
    }
}
