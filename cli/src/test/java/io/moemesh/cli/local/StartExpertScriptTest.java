package io.moemesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launch script the placement controller starts expert processes with: its text, and what it runs. */
class StartExpertScriptTest {

    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {
    }

    private Run run(Path script, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(script.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("script finished").isTrue();
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void execsTheCommandWithTheExpertAndPortsOfItsArgumentsQuotingEverythingElse() throws Exception {
        Path script = StartExpertScript.write(dir, dir, List.of("printf", "%s|",
                "--moemesh.expert.model-dir=/models/it's here", "--moemesh.expert.experts=0",
                "--moemesh.expert.grpc-port=0", "$HOME", "`id`"));

        Run r = run(script, "3", "50063", "50163");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo("--moemesh.expert.model-dir=/models/it's here|--moemesh.expert.experts=3|"
                + "--moemesh.expert.grpc-port=50063|$HOME|`id`|--server.port=50163|");
        assertThat(Files.getPosixFilePermissions(script)).contains(PosixFilePermission.OWNER_EXECUTE);
    }

    @Test
    void runsFromTheDirectoryMoeUpRanInSoThatRelativePathsHold() throws Exception {
        Path workDir = Files.createDirectories(dir.resolve("work"));
        Path script = StartExpertScript.write(dir, workDir, List.of("sh", "-c", "pwd", "--moemesh.expert.experts=0",
                "--moemesh.expert.grpc-port=0"));

        assertThat(run(script, "1", "2", "3").out().strip()).isEqualTo(workDir.toRealPath().toString());
    }

    @Test
    void refusesArgumentsThatAreMissingOrNoNumbers() throws Exception {
        Path script = StartExpertScript.write(dir, dir, List.of("echo", "--moemesh.expert.experts=0",
                "--moemesh.expert.grpc-port=0"));

        Run missing = run(script, "3", "50063");
        Run word = run(script, "3", "x; rm -rf /", "50163");

        assertThat(missing.exitCode()).isEqualTo(64);
        assertThat(missing.err()).contains("usage:").contains("<expert-index> <grpc-port> <http-port>");
        assertThat(word.exitCode()).isEqualTo(64);
        assertThat(word.err()).contains("'x; rm -rf /' is not a number");
    }

    @Test
    void refusesACommandWithoutTheExpertOrPortToReplace() {
        assertThatThrownBy(() -> StartExpertScript.content(dir, List.of("java", "-jar", "expert.jar")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs --moemesh.expert.experts= and --moemesh.expert.grpc-port=");
    }

    @Test
    void theScriptRunsMoeUpsOwnExpertCommandForTheExpertAndPortItIsGiven() throws Exception {
        Path home = dir.resolve("home");
        Path jar = home.resolve("expert-service/target/expert-service-exec.jar");
        Files.createDirectories(jar.getParent());
        Files.writeString(jar, "jar");
        Files.setLastModifiedTime(jar, FileTime.from(Instant.parse("2026-11-28T12:00:00Z")));
        LocalCluster cluster = new LocalCluster(home, dir.resolve(".moe"));
        Path model = Path.of("models/m");

        String script = StartExpertScript.content(Path.of("/work"), cluster.expertCommand(model));
        List<String> launched = new ServiceLauncher(home, dir.resolve(".moe")).command("expert-service",
                withLocalMode(ServiceArguments.expert(model, ExpertGroup.of(5), 1, 50065, List.of())), false);

        String expected = launched.stream().map(w -> w.equals("--moemesh.expert.experts=5")
                ? "\"--moemesh.expert.experts=$1\"" : w.equals("--moemesh.expert.grpc-port=50065")
                ? "\"--moemesh.expert.grpc-port=$2\"" : StartExpertScript.quote(w)).reduce((a, b) -> a + " \\\n    " + b)
                .orElseThrow();
        assertThat(script).contains("cd '/work' || exit 66\nexec " + expected + " \\\n    \"--server.port=$3\"\n");
        assertThat(script).contains("'--moemesh.auth.allow-unauthenticated=true'", "'--moemesh.expert.workers=1'",
                "'--spring.main.web-application-type=none'", "'-jar' \\\n    '" + jar + "'");
    }

    private static List<String> withLocalMode(List<String> args) {
        List<String> all = new ArrayList<>(ServiceArguments.localMode("expert"));
        all.addAll(args);
        return all;
    }
}
