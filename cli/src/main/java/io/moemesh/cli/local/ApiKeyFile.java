package io.moemesh.cli.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;

/**
 * The API key file {@code moe up} generates for its gateway: {@code <state-dir>/api-key}, one key,
 * readable by its owner only, in the format of {@code moemesh.gateway.api-keys-file} (clients read it
 * with the SDK's {@code ApiKeyCredentials.readKeyFile}).
 */
public final class ApiKeyFile {

    static final String FILE = "api-key";
    /** 256 random bits: 43 characters of URL-safe base64, above the gateway's 32-character minimum. */
    private static final int KEY_BYTES = 32;
    private static final Set<PosixFilePermission> OWNER_ONLY =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private ApiKeyFile() {
    }

    /** Generates a key and writes it to {@code <stateDir>/api-key}, replacing an earlier cluster's key. */
    public static Path create(Path stateDir) {
        return write(stateDir, generate(new SecureRandom()));
    }

    static String generate(SecureRandom random) {
        byte[] bytes = new byte[KEY_BYTES];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * Writes {@code key} to a new file created with mode 0600 (on POSIX file systems): created so, not
     * chmod-ed afterwards, so there is no moment at which others could open it. The old file is deleted
     * first and the new one created with CREATE_NEW, which also refuses to follow a planted symlink.
     */
    static Path write(Path stateDir, String key) {
        Path file = stateDir.resolve(FILE);
        try {
            Files.createDirectories(stateDir);
            Files.deleteIfExists(file);
            Set<OpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            FileAttribute<?>[] attributes = Files.getFileStore(stateDir).supportsFileAttributeView(PosixFileAttributeView.class)
                    ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
                    : new FileAttribute<?>[0];
            try (SeekableByteChannel out = Files.newByteChannel(file, options, attributes)) {
                out.write(ByteBuffer.wrap((key + "\n").getBytes(StandardCharsets.US_ASCII)));
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the API key to " + file + ": " + e.getMessage(), e);
        }
    }

    /** Whether users other than the owner may read {@code file}; false where the file system has no POSIX modes. */
    public static boolean readableByOthers(Path file) {
        try {
            if (!Files.getFileStore(file).supportsFileAttributeView(PosixFileAttributeView.class)) {
                return false;
            }
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            return permissions.contains(PosixFilePermission.GROUP_READ)
                    || permissions.contains(PosixFilePermission.OTHERS_READ);
        } catch (IOException e) {
            return false;
        }
    }

    static void delete(Path stateDir) {
        try {
            Files.deleteIfExists(stateDir.resolve(FILE));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
