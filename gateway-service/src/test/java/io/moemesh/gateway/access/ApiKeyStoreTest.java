package io.moemesh.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeyStoreTest {

    private static final String A = "key-a-0123456789abcdef0123456789abcdef";
    private static final String B = "key-b-0123456789abcdef0123456789abcdef";
    private static final String C = "key-c-0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    @Test
    void readsOneKeyPerLineSkippingBlankLinesAndComments() throws IOException {
        Path file = write("# gateway keys\n\n  " + A + "  \n# " + C + "\n" + B + "\n");

        ApiKeyStore store = ApiKeyStore.load(List.of(), file, false);

        assertThat(accepts(store, A)).isTrue();
        assertThat(accepts(store, B)).isTrue();
        assertThat(accepts(store, C)).as("a commented-out key").isFalse();
        assertThat(store.current().size()).isEqualTo(2);
    }

    @Test
    void inlineKeysAreUsedBesideTheFile() throws IOException {
        ApiKeyStore store = ApiKeyStore.load(List.of(C), write(A + "\n"), false);

        assertThat(accepts(store, A)).isTrue();
        assertThat(accepts(store, C)).isTrue();
    }

    @Test
    void fileWithoutKeysStopsStartUpUnlessUnauthenticatedIsAllowed() throws IOException {
        Path file = write("# empty\n");

        assertThatThrownBy(() -> ApiKeyStore.load(List.of(), file, false)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(file + " has no keys").hasMessageContaining("allow-unauthenticated=true");
        assertThat(ApiKeyStore.load(List.of(), file, true).current().enabled()).isFalse();
    }

    @Test
    void shortKeyInTheFileStopsStartUpNamingTheLineNotTheKey() throws IOException {
        Path file = write(A + "\ntoo-short\n");

        assertThatThrownBy(() -> ApiKeyStore.load(List.of(), file, false)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("line 2").hasMessageContaining("9 characters; keys must be at least 32")
                .hasMessageNotContaining("too-short");
    }

    @Test
    void unreadableFileStopsStartUp() {
        Path missing = dir.resolve("missing");

        assertThatThrownBy(() -> ApiKeyStore.load(List.of(), missing, true)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("moemesh.gateway.api-keys-file " + missing + " cannot be read");
    }

    @Test
    void reloadAddsAKey() throws IOException {
        Path file = write(A + "\n");
        ApiKeyStore store = ApiKeyStore.load(List.of(), file, false);

        Files.writeString(file, A + "\n" + B + "\n");
        store.reload();

        assertThat(accepts(store, B)).isTrue();
    }

    @Test
    void reloadRemovesAKey() throws IOException {
        Path file = write(A + "\n" + B + "\n");
        ApiKeyStore store = ApiKeyStore.load(List.of(), file, false);

        Files.writeString(file, B + "\n");
        store.reload();

        assertThat(accepts(store, A)).isFalse();
        assertThat(accepts(store, B)).isTrue();
    }

    @Test
    void brieflyEmptyFileKeepsTheKeysInUse() throws IOException {
        Path file = write(A + "\n");
        ApiKeyStore store = ApiKeyStore.load(List.of(), file, false);

        Files.writeString(file, "");
        store.reload();
        assertThat(accepts(store, A)).isTrue();

        Files.writeString(file, B + "\n");
        store.reload();
        assertThat(accepts(store, A)).isFalse();
        assertThat(accepts(store, B)).isTrue();
    }

    @Test
    void unreadableFileKeepsTheKeysInUse() throws IOException {
        Path file = write(A + "\n");
        ApiKeyStore store = ApiKeyStore.load(List.of(), file, false);

        Files.delete(file);
        store.reload();
        assertThat(accepts(store, A)).isTrue();

        Files.writeString(file, B + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        store.reload();
        boolean root = Files.isReadable(file); // root reads any file: then the new key is simply used
        assertThat(accepts(store, A)).isEqualTo(!root);
    }

    @Test
    void shortKeyOnReloadIsIgnoredAndTheOthersAreUsed() throws IOException {
        Path file = write(A + "\n");
        ApiKeyStore store = ApiKeyStore.load(List.of(), file, false);

        Files.writeString(file, "short\n" + B + "\n");
        store.reload();

        assertThat(accepts(store, "short")).isFalse();
        assertThat(accepts(store, B)).isTrue();
        assertThat(accepts(store, A)).isFalse();
    }

    /** Kubernetes updates a mounted Secret by pointing {@code ..data} at a new directory: the file's own path never changes. */
    @Test
    void secretUpdatedBySymlinkSwapIsPickedUp() throws IOException {
        Path first = Files.createDirectory(dir.resolve("..2026_12_05_17_00_00.1"));
        Files.writeString(first.resolve("api-keys"), A + "\n");
        Files.createSymbolicLink(dir.resolve("..data"), first.getFileName());
        Path file = Files.createSymbolicLink(dir.resolve("api-keys"), Path.of("..data", "api-keys"));
        ApiKeyStore store = ApiKeyStore.load(List.of(), file, false);

        Path second = Files.createDirectory(dir.resolve("..2026_12_05_17_05_00.2"));
        Files.writeString(second.resolve("api-keys"), B + "\n");
        Path swap = Files.createSymbolicLink(dir.resolve("..data_tmp"), second.getFileName());
        Files.move(swap, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        store.reload();

        assertThat(accepts(store, B)).isTrue();
        assertThat(accepts(store, A)).isFalse();
    }

    @Test
    void keysAreComparedAsTheWholeBearerValue() throws IOException {
        ApiKeyStore store = ApiKeyStore.load(List.of(A), null, false);

        assertThat(store.current().authenticate("bearer " + A)).isPresent();
        assertThat(store.current().authenticate("Bearer " + A.substring(1))).isEmpty();
        assertThat(store.current().authenticate(A)).isEmpty();
        assertThat(store.current().authenticate("Bearer " + A).orElseThrow().id()).isEqualTo(ApiKeys.fingerprint(A))
                .doesNotContain(A);
    }

    private Path write(String content) throws IOException {
        return Files.writeString(dir.resolve("keys-" + System.nanoTime()), content);
    }

    private static boolean accepts(ApiKeyStore store, String key) {
        return store.current().authenticate("Bearer " + key).isPresent();
    }
}
