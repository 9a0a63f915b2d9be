package io.moemesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MoeCommandTest {

    private static final String MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random").toString();

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cmd = MoeCommand.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    @Test
    void generateStreamsThePromptAndItsContinuation() {
        int code = run("generate", "--model", MODEL, "--prompt", "Hello", "--max-tokens", "8");

        assertThat(code).isZero();
        assertThat(out.toString()).startsWith("Hello");
        assertThat(err.toString()).contains("5 prompt tokens, 8 generated, finish: length");
    }

    @Test
    void generateRunsRepeatedPromptsAsOneBatch() {
        int code = run("generate", "--model", MODEL, "--prompt", "a", "--prompt", "b", "--max-tokens", "4");

        assertThat(code).isZero();
        assertThat(out.toString()).contains("[0] a").contains("[1] b");
    }

    @Test
    void generateReportsABadOptionValueAsAnError() {
        int code = run("generate", "--model", MODEL, "--prompt", "x", "--top-p", "1.5");

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("top_p must be in (0, 1]");
    }

    @Test
    void generateNamesAMissingModelDirectory() {
        int code = run("generate", "--model", "no/such/model", "--prompt", "x");

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("no/such/model");
    }

    @Test
    void routesPrintsTwoExpertsPerTokenAndLayer() {
        int code = run("routes", "--model", MODEL, "--prompt", "abc");

        assertThat(code).isZero();
        String[] lines = out.toString().split("\n");
        assertThat(lines[0]).contains("layer 0").contains("layer 1");
        assertThat(lines[1]).startsWith("0").contains("'a'").matches(".*\\| \\d \\(\\d\\.\\d\\d\\) \\d \\(\\d\\.\\d\\d\\).*");
        assertThat(out.toString()).contains("layer 1 tokens per expert:");
    }
}
