package io.moemesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.client.ApiKeyCredentials;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key {@code moe up} gives its gateway, without starting a cluster. */
class ApiKeyFileTest {

    @TempDir
    Path stateDir;

    @Test
    void createWritesAKeyOfAtLeast32UrlSafeCharactersToStateDirApiKey() {
        Path file = ApiKeyFile.create(stateDir);

        assertThat(file).isEqualTo(stateDir.resolve("api-key"));
        assertThat(ApiKeyCredentials.readKeyFile(file)).hasSizeGreaterThanOrEqualTo(32).matches("[A-Za-z0-9_-]+");
    }

    @Test
    void theKeyFileIsReadableAndWritableByItsOwnerOnly() throws Exception {
        Path file = ApiKeyFile.create(stateDir);

        assertThat(Files.getPosixFilePermissions(file))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(ApiKeyFile.readableByOthers(file)).isFalse();
    }

    @Test
    void eachClusterGetsANewKey() {
        String first = ApiKeyCredentials.readKeyFile(ApiKeyFile.create(stateDir));
        String second = ApiKeyCredentials.readKeyFile(ApiKeyFile.create(stateDir));

        assertThat(second).isNotEqualTo(first);
    }

    @Test
    void aSymlinkPlantedAtTheKeyPathIsReplacedNotFollowed(@TempDir Path elsewhere) throws Exception {
        Path target = Files.writeString(elsewhere.resolve("victim"), "untouched\n");
        Files.createSymbolicLink(stateDir.resolve("api-key"), target);

        Path file = ApiKeyFile.create(stateDir);

        assertThat(Files.readString(target)).isEqualTo("untouched\n");
        assertThat(Files.isSymbolicLink(file)).isFalse();
        assertThat(Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
    }

    @Test
    void theGatewayOfALocalClusterReadsItsKeysFromTheFile() {
        Path file = stateDir.resolve("api-key");

        assertThat(ServiceArguments.gateway(50051, 8000, List.of("127.0.0.1:50052"), file))
                .contains("--moemesh.gateway.api-keys-file=" + file.toAbsolutePath())
                .contains("--moemesh.gateway.routers=127.0.0.1:50052").contains("--moemesh.gateway.http-port=8000");
    }
}
