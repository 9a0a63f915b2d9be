package io.moemesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceLauncherTest {

    private static final Instant BUILT = Instant.parse("2026-11-28T12:00:00Z");

    @TempDir
    Path home;

    @Test
    void runsTheExtractedJarWithItsAotCacheWhenTheBuildMadeThemFromTheCurrentJar() throws Exception {
        Path jar = file("expert-service/target/expert-service-exec.jar", BUILT);
        Path extracted = file("expert-service/target/aot/expert-service-exec.jar", BUILT.plusSeconds(1));
        Path cache = file("expert-service/target/aot/expert-service.aot", BUILT.plusSeconds(9));

        assertThat(launcher().jarArguments("expert-service"))
                .containsExactly("-XX:AOTCache=" + cache, "-XX:+UnlockDiagnosticVMOptions", "-XX:-AOTReplayTraining",
                        "-jar", extracted.toString());
        assertThat(jar).exists();
    }

    @Test
    void fallsBackToTheRunnableJarWhenTheCacheIsMissing() throws Exception {
        Path jar = file("router-service/target/router-service-exec.jar", BUILT);
        file("router-service/target/aot/router-service-exec.jar", BUILT.plusSeconds(1));

        assertThat(launcher().jarArguments("router-service")).containsExactly("-jar", jar.toString());
    }

    @Test
    void fallsBackToTheRunnableJarWhenItWasRebuiltAfterTheCache() throws Exception {
        file("gateway-service/target/aot/gateway-service-exec.jar", BUILT);
        file("gateway-service/target/aot/gateway-service.aot", BUILT.plusSeconds(5));
        Path jar = file("gateway-service/target/gateway-service-exec.jar", BUILT.plusSeconds(60));

        assertThat(launcher().jarArguments("gateway-service")).containsExactly("-jar", jar.toString());
    }

    @Test
    void saysHowToBuildAMissingJar() {
        assertThatThrownBy(() -> launcher().jarArguments("expert-service"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("expert-service-exec.jar not found")
                .hasMessageContaining("./mvnw -pl expert-service -am package");
    }

    @Test
    void extraJvmOptionsComeAfterOursAndBeforeTheJar() throws Exception {
        file("expert-service/target/expert-service-exec.jar", BUILT);
        Path extracted = file("expert-service/target/aot/expert-service-exec.jar", BUILT.plusSeconds(1));
        file("expert-service/target/aot/expert-service.aot", BUILT.plusSeconds(9));

        List<String> command = launcher().serviceCommand("expert-service", " -Xmx1g  -XX:+AOTReplayTraining ",
                List.of("--moemesh.expert.experts=3"));

        assertThat(command).containsSubsequence("-XX:-AOTReplayTraining", "-Xmx1g", "-XX:+AOTReplayTraining",
                "-jar", extracted.toString(), "--moemesh.expert.experts=3");
        assertThat(command).doesNotContain("", " ");
        assertThat(launcher().serviceCommand("expert-service", "  ", List.of())).doesNotContain("-Xmx1g", "");
    }

    private ServiceLauncher launcher() {
        return new ServiceLauncher(home, home.resolve(".moe"));
    }

    private Path file(String relative, Instant modified) throws Exception {
        Path path = home.resolve(relative);
        Files.createDirectories(path.getParent());
        Files.writeString(path, relative);
        Files.setLastModifiedTime(path, FileTime.from(modified));
        return path;
    }
}
