package io.moemesh.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JinjaWhitespaceTest {

    @Test
    void stripsWhitespaceAndNewlinesBeforeAnExpressionMarkedWithADash() {
        assertThat(JinjaWhitespace.normalize("{% if x %}\n    {{- bos_token }}")).isEqualTo("{% if x %}{{ bos_token }}");
    }

    @Test
    void stripsWhitespaceAfterAnExpressionOrCommentMarkedWithADash() {
        assertThat(JinjaWhitespace.normalize("{{ a -}} \n b {#- note -#}\n c")).isEqualTo("{{ a }}b{# note #}c");
    }

    @Test
    void leavesRawBlocksAsTheyAre() {
        assertThat(JinjaWhitespace.normalize("a {{- b }}{% raw %} {{- c }}{% endraw %}"))
                .isEqualTo("a{{ b }}{% raw %} {{- c }}{% endraw %}");
    }

    @Test
    void dropsOneTrailingNewline() {
        assertThat(JinjaWhitespace.normalize("{{ a }}\n\n")).isEqualTo("{{ a }}\n");
    }
}
