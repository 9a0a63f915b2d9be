package io.moemesh.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {

    /** The fields of mistralai/Mixtral-8x7B-v0.1's config.json. */
    static final String MIXTRAL_8X7B = """
            {"architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "hidden_size": 4096,
             "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
             "num_key_value_heads": 8, "num_local_experts": 8, "num_experts_per_tok": 2,
             "rms_norm_eps": 1e-05, "rope_theta": 1000000.0, "vocab_size": 32000,
             "max_position_embeddings": 32768, "tie_word_embeddings": false,
             "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "bfloat16"}
            """;

    @Test
    void readsEveryFieldOfARealMixtralConfig() {
        ModelConfig c = ModelConfig.parse(MIXTRAL_8X7B, "config.json");

        assertThat(c.hiddenSize()).isEqualTo(4096);
        assertThat(c.intermediateSize()).isEqualTo(14336);
        assertThat(c.numLayers()).isEqualTo(32);
        assertThat(c.numHeads()).isEqualTo(32);
        assertThat(c.numKvHeads()).isEqualTo(8);
        assertThat(c.headDim()).isEqualTo(128);
        assertThat(c.kvDim()).isEqualTo(1024);
        assertThat(c.numExperts()).isEqualTo(8);
        assertThat(c.expertsPerToken()).isEqualTo(2);
        assertThat(c.rmsNormEps()).isEqualTo(1e-5f);
        assertThat(c.ropeTheta()).isEqualTo(1_000_000.0);
        assertThat(c.vocabSize()).isEqualTo(32000);
        assertThat(c.maxPositionEmbeddings()).isEqualTo(32768);
        assertThat(c.tieWordEmbeddings()).isFalse();
        assertThat(c.bosTokenId()).hasValue(1);
        assertThat(c.eosTokenId()).hasValue(2);
    }

    @Test
    void loadsConfigJsonFromAModelDirectory(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), MIXTRAL_8X7B);

        assertThat(ModelConfig.load(dir).numExperts()).isEqualTo(8);
    }

    @Test
    void rejectsAnUnsupportedArchitectureByName() {
        String llama = MIXTRAL_8X7B.replace("MixtralForCausalLM", "LlamaForCausalLM").replace("\"mixtral\"", "\"llama\"");

        assertThatThrownBy(() -> ModelConfig.parse(llama, "llama/config.json"))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("llama/config.json")
                .hasMessageContaining("LlamaForCausalLM")
                .hasMessageContaining("MixtralForCausalLM");
    }

    @Test
    void acceptsModelTypeWhenArchitecturesIsAbsent() {
        String noArchitectures = MIXTRAL_8X7B.replace("\"architectures\": [\"MixtralForCausalLM\"], ", "");

        assertThat(ModelConfig.parse(noArchitectures, "c.json").numLayers()).isEqualTo(32);
    }

    @Test
    void namesTheMissingField() {
        String missing = MIXTRAL_8X7B.replace("\"num_local_experts\": 8, ", "");

        assertThatThrownBy(() -> ModelConfig.parse(missing, "m/config.json"))
                .isInstanceOf(ModelConfigException.class)
                .hasMessage("m/config.json: missing required field 'num_local_experts'");
    }

    @Test
    void rejectsAFieldOfTheWrongType() {
        String wrong = MIXTRAL_8X7B.replace("\"hidden_size\": 4096", "\"hidden_size\": \"big\"");

        assertThatThrownBy(() -> ModelConfig.parse(wrong, "c.json"))
                .hasMessageContaining("'hidden_size' must be a positive integer");
    }

    @Test
    void rejectsMoreExpertsPerTokenThanExperts() {
        String wrong = MIXTRAL_8X7B.replace("\"num_experts_per_tok\": 2", "\"num_experts_per_tok\": 9");

        assertThatThrownBy(() -> ModelConfig.parse(wrong, "c.json"))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("c.json")
                .hasMessageContaining("num_experts_per_tok (9)");
    }

    @Test
    void rejectsInvalidJsonNamingTheFile() {
        assertThatThrownBy(() -> ModelConfig.parse("{not json", "broken/config.json"))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageStartingWith("broken/config.json: not valid JSON");
    }

    @Test
    void readsTheFirstOfSeveralEosTokenIds() {
        String list = MIXTRAL_8X7B.replace("\"eos_token_id\": 2", "\"eos_token_id\": [2, 32000]");

        assertThat(ModelConfig.parse(list, "c.json").eosTokenId()).hasValue(2);
    }
}
