package io.moemesh.cli;

import static io.moemesh.cli.MoeRun.freePort;
import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.cli.local.ClusterState;
import io.moemesh.cli.local.ServiceProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The official {@code openai} npm client drives {@code moe up}'s OpenAI-compatible API on the shipped
 * 16-expert model: {@code cli/src/test/openai-node/client-check.mjs} runs completions and chat,
 * streaming and not, a stop string, an invalid key, an unknown model and a disconnect mid-stream, and
 * reports one line per check. Skipped where Node or the client's {@code node_modules} is missing,
 * unless {@code MOEMESH_OPENAI_CLIENT_REQUIRED=true} (set by {@code .ci/run}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenAiClientIT {

    private static final Path HOME = Path.of(System.getProperty("moemesh.home", ".."));
    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "mesh-mini-16e");
    private static final Path CLIENT_DIR = HOME.resolve("cli/src/test/openai-node");
    private static final long CLIENT_TIMEOUT_MINUTES = 4;
    private static final Pattern SUMMARY = Pattern.compile("\\{\"passed\":(\\d+),\"failed\":(\\d+)}\\s*$");

    private Path stateDir;
    private String httpPort;
    private MoeRun up;

    @BeforeAll
    void up() throws IOException {
        requireClient();
        stateDir = Files.createTempDirectory("moe-openai-it");
        httpPort = freePort();
        up = MoeRun.up(MODEL, stateDir, httpPort, "--experts-per-process", "16", "--placement", "off",
                "--expert-port", freePort());
        assertThat(up.code()).as(up.err()).isZero();
    }

    @AfterAll
    void down() {
        MoeRun.down(stateDir);
    }

    @Test
    void upPrintsAndRecordsTheOpenAiUrl() {
        String url = "http://127.0.0.1:" + httpPort + "/v1";

        assertThat(up.out()).contains("OpenAI-compatible API: " + url);
        assertThat(ClusterState.read(stateDir).openAiUrl()).isEqualTo(url);
    }

    @Test
    void theOfficialNodeClientPassesEveryCheck() throws IOException, InterruptedException {
        ClusterState state = ClusterState.read(stateDir);
        Path output = stateDir.resolve("client-check.out");
        ProcessBuilder node = new ProcessBuilder("node", "client-check.mjs").directory(CLIENT_DIR.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile());
        node.environment().putAll(Map.of("OPENAI_BASE_URL", state.openAiUrl(), "OPENAI_API_KEY", state.readApiKey(),
                "MOEMESH_ROUTER_METRICS_URL", state.routerMetricsUrl()));
        Process run = node.start();
        boolean exited = run.waitFor(CLIENT_TIMEOUT_MINUTES, TimeUnit.MINUTES);
        if (!exited) {
            run.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String report = "client-check.mjs output:\n" + Files.readString(output) + "\ngateway log, last lines:\n"
                + gatewayLogTail(state, 40);

        assertThat(exited).as("client-check.mjs still ran after %d minutes\n%s", CLIENT_TIMEOUT_MINUTES, report).isTrue();
        assertThat(run.exitValue()).as(report).isZero();
        Matcher summary = SUMMARY.matcher(Files.readString(output));
        assertThat(summary.find()).as("no {\"passed\":N,\"failed\":M} line\n%s", report).isTrue();
        assertThat(Integer.parseInt(summary.group(2))).as(report).isZero();
        assertThat(Integer.parseInt(summary.group(1))).as(report).isGreaterThanOrEqualTo(14);
    }

    /**
     * The README's {@code curl} examples, as written, against this cluster: only its port and key
     * file differ from {@code moe up}'s defaults.
     */
    @Test
    void theReadmesCurlExamplesWork() throws IOException, InterruptedException {
        ClusterState state = ClusterState.read(stateDir);
        List<String> examples = readmeCurlCommands();
        assertThat(examples).hasSize(2);
        for (String example : examples) {
            String command = example.replace("127.0.0.1:8000", "127.0.0.1:" + httpPort)
                    .replace(".moe/api-key", state.apiKeyFile());
            Process curl = new ProcessBuilder("bash", "-c", command + " --max-time 60 --silent --show-error")
                    .redirectErrorStream(true).start();
            String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(curl.waitFor(90, TimeUnit.SECONDS)).isTrue();
            assertThat(curl.exitValue()).as("%s\n%s", command, output).isZero();
            if (example.startsWith("curl -N")) {
                assertThat(output).as(output).contains("data: {").contains("chat.completion.chunk")
                        .endsWith("data: [DONE]\n\n");
            } else {
                assertThat(output).as(output).contains("\"object\":\"text_completion\"").contains("\"usage\"");
            }
        }
    }

    /** The curl commands of the README's OpenAI section, continuation lines joined. */
    private static List<String> readmeCurlCommands() throws IOException {
        String readme = Files.readString(HOME.resolve("README.md"));
        String section = readme.substring(readme.indexOf("## The OpenAI-compatible API"));
        section = section.substring(section.indexOf("```bash") + 7, section.indexOf("```", section.indexOf("```bash") + 7));
        List<String> commands = new ArrayList<>();
        StringBuilder current = null;
        for (String line : section.split("\n")) {
            if (line.startsWith("curl ")) {
                current = new StringBuilder();
            }
            if (current != null) {
                boolean continues = line.endsWith("\\");
                current.append(continues ? line.substring(0, line.length() - 1) : line).append(' ');
                if (!continues) {
                    commands.add(current.toString().strip());
                    current = null;
                }
            }
        }
        return commands;
    }

    /** Skips without Node or the client's modules; fails instead where they are required (CI). */
    private static void requireClient() {
        String missing = !NodeChecks.nodeRuns() ? "`node` is not on PATH"
                : !Files.isDirectory(CLIENT_DIR.resolve("node_modules/openai")) ? CLIENT_DIR + "/node_modules is missing"
                : null;
        NodeChecks.requireTools(missing, "install Node.js and npm (`apt-get install nodejs npm`), then the client "
                + "(`npm ci --prefix cli/src/test/openai-node`)", "MOEMESH_OPENAI_CLIENT_REQUIRED");
    }

    private static String gatewayLogTail(ClusterState state, int lines) {
        return state.processes().stream().filter(p -> p.role().equals("gateway")).findFirst().map(ServiceProcess::log)
                .map(log -> {
                    try {
                        List<String> all = Files.readAllLines(Path.of(log));
                        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
                    } catch (IOException e) {
                        return "(cannot read " + log + ": " + e.getMessage() + ")";
                    }
                }).orElse("(no gateway process in the cluster state)");
    }
}
