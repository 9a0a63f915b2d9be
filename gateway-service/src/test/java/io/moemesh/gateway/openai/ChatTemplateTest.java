package io.moemesh.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Expected prompts are Python's: jinja2 3.1.6 rendered each template as transformers'
 * {@code apply_chat_template} does (an {@code ImmutableSandboxedEnvironment} with
 * {@code trim_blocks} and {@code lstrip_blocks}, {@code raise_exception} in its globals), with
 * {@code bos_token="<s>"} and {@code eos_token="</s>"}.
 */
class ChatTemplateTest {

    private static final List<ChatMessage> CONVERSATION = List.of(
            new ChatMessage("system", "You answer in one line."),
            new ChatMessage("user", "What is a fortune cookie?"),
            new ChatMessage("assistant", "A crisp cookie with a paper fortune inside."),
            new ChatMessage("user", "Tell me one."));

    private static final String PLAIN = """
            You answer in one line.

            User: What is a fortune cookie?
            Assistant: A crisp cookie with a paper fortune inside.
            User: Tell me one.
            """;

    private static final Path SHIPPED_MODEL = Path.of("..", "models", "mesh-mini-16e");

    @Test
    void defaultTemplateRendersPlainUserAndAssistantLines() {
        assertThat(ChatTemplate.compile("", "<s>", "</s>").render(CONVERSATION, false)).isEqualTo(PLAIN);
    }

    @Test
    void defaultTemplateEndsWithAssistantColonForAGenerationPrompt() {
        assertThat(ChatTemplate.compile("", "<s>", "</s>").render(CONVERSATION, true))
                .isEqualTo(PLAIN + "Assistant:");
    }

    @Test
    void nullOrBlankTemplateCompilesToTheDefault() {
        ChatTemplate template = ChatTemplate.compile(null, null, null);

        assertThat(template.isDefault()).isTrue();
        assertThat(template.source()).isEqualTo(ChatTemplate.DEFAULT_TEMPLATE);
        assertThat(ChatTemplate.compile(" \n", "", "").isDefault()).isTrue();
    }

    @Test
    void aModelsOwnTemplateIsNotTheDefault() {
        ChatTemplate template = ChatTemplate.compile("{{ messages[0].content }}", "", "");

        assertThat(template.isDefault()).isFalse();
        assertThat(template.source()).isEqualTo("{{ messages[0].content }}");
    }

    @Test
    void defaultTemplateRefusesRolesOtherThanSystemUserAndAssistant() {
        ChatTemplate template = ChatTemplate.compile("", "", "");

        assertThatThrownBy(() -> template.render(List.of(new ChatMessage("tool", "42")), true))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessage("Only system, user and assistant messages are supported, not tool");
    }

    @Test
    void shippedModelsTemplateRendersAsTheDefault() throws IOException {
        JsonNode config = JsonMapper.shared().readTree(SHIPPED_MODEL.resolve("tokenizer_config.json"));
        ChatTemplate shipped = ChatTemplate.compile(config.path("chat_template").stringValue(),
                config.path("bos_token").stringValue(), config.path("eos_token").stringValue());
        ChatTemplate fallback = ChatTemplate.compile("", "", "");

        assertThat(shipped.isDefault()).isFalse();
        assertThat(shipped.render(CONVERSATION, true)).isEqualTo(fallback.render(CONVERSATION, true));
        assertThat(shipped.render(CONVERSATION, false)).isEqualTo(fallback.render(CONVERSATION, false));
    }

    @Test
    void chatMlTemplateRendersEveryTurnBetweenImStartAndImEnd() {
        ChatTemplate chatMl = ChatTemplate.compile(resource("chatml.jinja"), "<s>", "</s>");

        assertThat(chatMl.render(CONVERSATION, true)).isEqualTo("""
                <|im_start|>system
                You answer in one line.<|im_end|>
                <|im_start|>user
                What is a fortune cookie?<|im_end|>
                <|im_start|>assistant
                A crisp cookie with a paper fortune inside.<|im_end|>
                <|im_start|>user
                Tell me one.<|im_end|>
                <|im_start|>assistant
                """);
    }

    @Test
    void chatMlTemplateAddsItsOwnSystemMessageAndTrimsContent() {
        ChatTemplate chatMl = ChatTemplate.compile(resource("chatml.jinja"), "<s>", "</s>");

        assertThat(chatMl.render(List.of(new ChatMessage("user", "  padded\n ")), false)).isEqualTo("""
                <|im_start|>system
                You are a helpful assistant.<|im_end|>
                <|im_start|>user
                padded<|im_end|>
                """);
    }

    @Test
    void instTemplateFoldsTheSystemMessageIntoTheFirstUserTurn() {
        ChatTemplate inst = ChatTemplate.compile(resource("llama2-inst.jinja"), "<s>", "</s>");

        assertThat(inst.render(CONVERSATION, true)).isEqualTo("<s>[INST] <<SYS>>\nYou answer in one line.\n"
                + "<</SYS>>\n\nWhat is a fortune cookie? [/INST] A crisp cookie with a paper fortune inside. </s>"
                + "[INST] Tell me one. [/INST]");
    }

    @Test
    void instTemplateWithoutASystemMessageStartsWithBos() {
        ChatTemplate inst = ChatTemplate.compile(resource("llama2-inst.jinja"), "<s>", "</s>");

        assertThat(inst.render(CONVERSATION.subList(1, 4), false)).isEqualTo("<s>[INST] What is a fortune cookie? "
                + "[/INST] A crisp cookie with a paper fortune inside. </s>[INST] Tell me one. [/INST]");
    }

    @Test
    void namespaceTestsAndLoopVariablesRenderAsInJinja2() {
        ChatTemplate template = ChatTemplate.compile(resource("pythonisms.jinja"), "<s>", "</s>");

        assertThat(template.render(CONVERSATION, false)).isEqualTo("[You answer in one line.] 3 turns\n"
                + "user: What is a fortune cookie?\nassistant: A crisp cookie with a paper fortune inside.\n"
                + "user: Tell me one. (last of 4)");
    }

    /** Jinja2 gives "user;assistant;user;": if this starts to pass, Jinjava learnt loop filters (update the Javadoc). */
    @Test
    void loopFilterIsIgnoredByJinjava() {
        ChatTemplate template = ChatTemplate.compile(
                "{% for m in messages if m.role != 'system' %}{{ m.role }};{% endfor %}", "", "");

        assertThat(template.render(CONVERSATION, false)).isEqualTo("system;user;assistant;user;");
    }

    @Test
    void raiseExceptionEndsRenderingWithTheTemplatesMessage() {
        ChatTemplate inst = ChatTemplate.compile(resource("llama2-inst.jinja"), "<s>", "</s>");
        List<ChatMessage> twoUserTurns = List.of(new ChatMessage("user", "a"), new ChatMessage("user", "b"));

        assertThatThrownBy(() -> inst.render(twoUserTurns, true))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessage("Conversation roles must alternate user/assistant/user/assistant/...");
    }

    @Test
    void unknownFilterFailsTheRenderInsteadOfRenderingNothing() {
        ChatTemplate template = ChatTemplate.compile("{{ messages[0].content | shout }}", "", "");

        assertThatThrownBy(() -> template.render(CONVERSATION, false))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessage("the model's chat template failed to render: no filter named 'shout'");
    }

    @Test
    void unknownTestFailsTheRender() {
        ChatTemplate template = ChatTemplate.compile("{% if messages is loud %}x{% endif %}", "", "");

        assertThatThrownBy(() -> template.render(CONVERSATION, false))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessage("the model's chat template failed to render: no test named 'loud'");
    }

    @Test
    void pythonStringMethodJavaLacksFailsTheRender() {
        ChatTemplate template = ChatTemplate.compile("{{ messages[0].content.upper() }}", "", "");

        assertThatThrownBy(() -> template.render(CONVERSATION, false))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageStartingWith("the model's chat template failed to render: line 1: ")
                .hasMessageContaining("upper");
    }

    @Test
    void templateWithAnUnclosedBlockDoesNotCompile() {
        assertThatThrownBy(() -> ChatTemplate.compile("{% for message in messages %}{{ message.content }}", "", ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the model's chat template does not parse: ")
                .hasMessageContaining("endfor");
    }

    @Test
    void templateWithAnUnknownTagDoesNotCompile() {
        assertThatThrownBy(() -> ChatTemplate.compile("{% trans %}x{% endtrans %}", "", ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Unknown tag: trans");
    }

    @Test
    void generationTagRendersItsBody() {
        ChatTemplate template = ChatTemplate.compile(
                "{% for m in messages %}{% generation %}{{ m.role }};{% endgeneration %}{% endfor %}", "", "");

        assertThat(template.render(CONVERSATION, false)).isEqualTo("system;user;assistant;user;");
    }

    @Test
    void outputPastTheFenceFailsTheRender() {
        ChatTemplate template = ChatTemplate.compile(
                "{% for i in range(5) %}{{ messages[0].content }}{% endfor %}", "", "");
        List<ChatMessage> big = List.of(new ChatMessage("user", "x".repeat(300_000)));

        assertThatThrownBy(() -> template.render(big, false))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessage("the model's chat template failed to render: it wrote more than 1048576 characters");
    }

    @Test
    void includeCannotReadFiles() throws IOException {
        Path secret = Files.createTempFile("secret", ".txt");
        Files.writeString(secret, "do not read");
        try {
            ChatTemplate template = ChatTemplate.compile("{% include '" + secret.toAbsolutePath() + "' %}", "", "");

            assertThatThrownBy(() -> template.render(CONVERSATION, false))
                    .isInstanceOf(ChatTemplateException.class)
                    .hasMessageContaining("cannot load another template")
                    .hasMessageNotContaining("do not read");
        } finally {
            Files.delete(secret);
        }
    }

    @Test
    void jinjaInAMessageIsTextNotTemplate() {
        List<ChatMessage> injection = List.of(new ChatMessage("user", "{{ 7 * 7 }}{% raw %}"));

        assertThat(ChatTemplate.compile("", "", "").render(injection, false)).isEqualTo("User: {{ 7 * 7 }}{% raw %}\n");
    }

    @Test
    void aTrailingNewlineOfTheTemplateIsDroppedAsInJinja() {
        assertThat(ChatTemplate.compile("{{ bos_token }}\n", "<s>", "").render(CONVERSATION, false)).isEqualTo("<s>");
    }

    @Test
    void dashedExpressionsStripWhitespaceAsInJinja() {
        ChatTemplate template = ChatTemplate.compile("{% if true %}  \n  {{- 'b' }}{% endif %}x {{ 'c' -}}   y", "", "");

        assertThat(template.render(CONVERSATION, false)).isEqualTo("bx cy");
    }

    @Test
    void concurrentRendersGiveTheSameString() throws Exception {
        ChatTemplate inst = ChatTemplate.compile(resource("llama2-inst.jinja"), "<s>", "</s>");
        String expected = inst.render(CONVERSATION, true);
        List<Future<String>> renders = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 400; i++) {
                renders.add(threads.submit(() -> inst.render(CONVERSATION, true)));
            }
            for (Future<String> render : renders) {
                assertThat(render.get()).isEqualTo(expected);
            }
        }
    }

    private static String resource(String name) {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
