package io.moemesh.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerConfigTest {

    @TempDir
    Path dir;

    @Test
    void isEmptyWhenTheModelHasNoTokenizerConfig() {
        assertThat(TokenizerConfig.load(dir)).isEqualTo(TokenizerConfig.EMPTY);
    }

    @Test
    void readsAStringTemplateAndStringTokens() throws IOException {
        write("tokenizer_config.json", """
                {"bos_token": "<s>", "eos_token": "</s>", "chat_template": "{{ messages[0]['content'] }}"}""");

        assertThat(TokenizerConfig.load(dir))
                .isEqualTo(new TokenizerConfig("{{ messages[0]['content'] }}", "<s>", "</s>"));
    }

    @Test
    void readsTokensSavedAsAddedTokenObjects() throws IOException {
        write("tokenizer_config.json", """
                {"bos_token": {"__type": "AddedToken", "content": "<|begin|>", "lstrip": false},
                 "eos_token": {"content": "<|end|>", "special": true}}""");

        TokenizerConfig config = TokenizerConfig.load(dir);

        assertThat(config.bosToken()).isEqualTo("<|begin|>");
        assertThat(config.eosToken()).isEqualTo("<|end|>");
    }

    @Test
    void treatsNullFieldsAsAbsent() throws IOException {
        write("tokenizer_config.json", """
                {"bos_token": null, "eos_token": "</s>", "chat_template": null}""");

        assertThat(TokenizerConfig.load(dir)).isEqualTo(new TokenizerConfig("", "", "</s>"));
    }

    @Test
    void takesTheTemplateNamedDefaultFromAList() throws IOException {
        write("tokenizer_config.json", """
                {"chat_template": [{"name": "tool_use", "template": "tools"},
                                   {"name": "default", "template": "chat"}]}""");

        assertThat(TokenizerConfig.load(dir).chatTemplate()).isEqualTo("chat");
    }

    @Test
    void takesTheFirstTemplateOfAListWithoutADefault() throws IOException {
        write("tokenizer_config.json", """
                {"chat_template": [{"name": "rag", "template": "first"}, {"name": "tool_use", "template": "second"}]}""");

        assertThat(TokenizerConfig.load(dir).chatTemplate()).isEqualTo("first");
    }

    @Test
    void readsChatTemplateJinjaWhenTheJsonHasNoTemplate() throws IOException {
        write("tokenizer_config.json", """
                {"bos_token": "<s>"}""");
        write("chat_template.jinja", "{% for m in messages %}{{ m.content }}{% endfor %}\n");

        assertThat(TokenizerConfig.load(dir))
                .isEqualTo(new TokenizerConfig("{% for m in messages %}{{ m.content }}{% endfor %}\n", "<s>", ""));
    }

    @Test
    void readsChatTemplateJinjaWithoutATokenizerConfig() throws IOException {
        write("chat_template.jinja", "template");

        assertThat(TokenizerConfig.load(dir)).isEqualTo(new TokenizerConfig("template", "", ""));
    }

    @Test
    void prefersTheJsonTemplateToChatTemplateJinja() throws IOException {
        write("tokenizer_config.json", """
                {"chat_template": "from json"}""");
        write("chat_template.jinja", "from file");

        assertThat(TokenizerConfig.load(dir).chatTemplate()).isEqualTo("from json");
    }

    @Test
    void rejectsInvalidJsonNamingTheFile() throws IOException {
        write("tokenizer_config.json", "{\"bos_token\": ");

        assertThatThrownBy(() -> TokenizerConfig.load(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(dir.resolve("tokenizer_config.json").toString())
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void rejectsAJsonArrayAtTheTop() throws IOException {
        write("tokenizer_config.json", "[]");

        assertThatThrownBy(() -> TokenizerConfig.load(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected a JSON object");
    }

    @Test
    void rejectsATemplateThatIsANumber() throws IOException {
        write("tokenizer_config.json", """
                {"chat_template": 7}""");

        assertThatThrownBy(() -> TokenizerConfig.load(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tokenizer_config.json: chat_template must be a string or a list");
    }

    @Test
    void rejectsATemplateListEntryWithoutATemplate() throws IOException {
        write("tokenizer_config.json", """
                {"chat_template": [{"name": "default"}]}""");

        assertThatThrownBy(() -> TokenizerConfig.load(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("string fields \"name\" and \"template\"");
    }

    @Test
    void rejectsATokenObjectWithoutContent() throws IOException {
        write("tokenizer_config.json", """
                {"eos_token": {"special": true}}""");

        assertThatThrownBy(() -> TokenizerConfig.load(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("eos_token must be a string, null or an object with a string \"content\"");
    }

    @Test
    void rejectsATemplateFileThatIsNotUtf8() throws IOException {
        Files.write(dir.resolve("chat_template.jinja"), new byte[] {(byte) 0xff, (byte) 0xfe, 0x41});

        assertThatThrownBy(() -> TokenizerConfig.load(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("chat_template.jinja: not UTF-8 text");
    }

    private void write(String name, String content) throws IOException {
        Files.writeString(dir.resolve(name), content);
    }
}
