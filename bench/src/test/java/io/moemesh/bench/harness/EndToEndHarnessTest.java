package io.moemesh.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class EndToEndHarnessTest {

    @Test
    void asksMoeUpsRouterInternalPortUnlessToldOtherwise() {
        EndToEndHarness.Args args = EndToEndHarness.Args.parse(new String[] {"127.0.0.1:50051", "out.json"});

        assertThat(args.router()).isEqualTo("127.0.0.1:50056");
        assertThat(args.streams()).containsExactly(1, 8, 32);
        assertThat(args.maxTokens()).isEqualTo(64);
    }

    @Test
    void takesTheRouterFlagAnywhereAmongThePositionalArguments() {
        EndToEndHarness.Args args = EndToEndHarness.Args.parse(
                new String[] {"gw:1", "--router=10.0.0.7:6000", "out.json", "1,4", "16"});

        assertThat(args.gateway()).isEqualTo("gw:1");
        assertThat(args.out()).isEqualTo(Path.of("out.json"));
        assertThat(args.streams()).containsExactly(1, 4);
        assertThat(args.maxTokens()).isEqualTo(16);
        assertThat(args.router()).isEqualTo("10.0.0.7:6000");
    }

    @Test
    void takesTheApiKeyFileAndTheCaCertificate() {
        EndToEndHarness.Args args = EndToEndHarness.Args.parse(
                new String[] {"gw:443", "out.json", "--api-key-file=/run/key", "--ca-cert=/run/ca.crt"});

        assertThat(args.apiKeyFile()).isEqualTo(Path.of("/run/key"));
        assertThat(args.caCert()).isEqualTo(Path.of("/run/ca.crt"));
    }

    @Test
    void rejectsAnUnknownOption() {
        assertThatThrownBy(() -> EndToEndHarness.Args.parse(new String[] {"gw:1", "out.json", "--routr=x"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown option --routr=x");
    }

    @Test
    void aHeldOutDocumentOpensWithItsFirstWordsWhitespaceCollapsed() {
        String text = "  Der Mensch ist\n\n  ein Wesen, " + "das ".repeat(40);

        String prompt = EndToEndHarness.opening(text);

        assertThat(prompt).startsWith("Der Mensch ist ein Wesen, das ").endsWith("das ").hasSizeLessThanOrEqualTo(97);
        assertThat(EndToEndHarness.opening("kurz\t da")).isEqualTo("kurz da");
    }
}
