package io.moemesh.service.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared internal token, read from {@code moemesh.auth.internal-token-file} (a mounted Secret).
 * The file is checked again at most once per {@code recheck} when the token is used, and re-read
 * when its modification time or size changed, so a rotated Secret takes effect without a restart.
 * A token read at start-up that is missing or too short stops the service; one that turns invalid
 * later is ignored with an ERROR and the previous token stays in use.
 */
public final class InternalToken {

    /** Shorter tokens are guessable by a patient caller; 32 printable characters ≈ 190 bits at random. */
    public static final int MIN_LENGTH = 32;
    private static final Logger LOG = LoggerFactory.getLogger(InternalToken.class);

    private record Loaded(byte[] token, FileTime modified, long size, long checkedAt) {
    }

    private final Path file;
    private final Duration recheck;
    private final LongSupplier nanoTime;
    private volatile Loaded loaded;

    public InternalToken(Path file, Duration recheck, LongSupplier nanoTime) {
        this.file = file;
        this.recheck = recheck;
        this.nanoTime = nanoTime;
        try {
            this.loaded = read(nanoTime.getAsLong());
        } catch (IOException e) {
            throw new UncheckedIOException("moemesh.auth.internal-token-file " + file + " cannot be read: "
                    + e.getMessage(), e);
        }
    }

    /** Reads {@code file}, rechecking it at most once a second. */
    public static InternalToken fromFile(Path file) {
        return new InternalToken(file, Duration.ofSeconds(1), System::nanoTime);
    }

    /** The current token. */
    public String value() {
        return new String(current().token(), StandardCharsets.UTF_8);
    }

    /** Whether {@code presented} is the current token, in time independent of where they differ. */
    public boolean matches(String presented) {
        return presented != null
                && MessageDigest.isEqual(current().token(), presented.getBytes(StandardCharsets.UTF_8));
    }

    private Loaded current() {
        Loaded now = loaded;
        long t = nanoTime.getAsLong();
        if (t - now.checkedAt() < recheck.toNanos()) {
            return now;
        }
        synchronized (this) {
            now = loaded;
            if (t - now.checkedAt() < recheck.toNanos()) {
                return now;
            }
            try {
                if (Files.getLastModifiedTime(file).equals(now.modified()) && Files.size(file) == now.size()) {
                    loaded = new Loaded(now.token(), now.modified(), now.size(), t);
                } else {
                    loaded = read(t);
                    LOG.info("internal token reloaded from {}", file);
                }
            } catch (IOException | IllegalArgumentException e) {
                LOG.error("internal token file {} could not be re-read, keeping the previous token: {}", file,
                        e.getMessage());
                loaded = new Loaded(now.token(), now.modified(), now.size(), t);
            }
            return loaded;
        }
    }

    private Loaded read(long checkedAt) throws IOException {
        FileTime modified = Files.getLastModifiedTime(file);
        String token = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (token.length() < MIN_LENGTH || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("moemesh.auth.internal-token-file " + file + " must hold one token of"
                    + " at least " + MIN_LENGTH + " printable ASCII characters without spaces (got "
                    + token.length() + " characters); e.g. openssl rand -base64 48");
        }
        return new Loaded(token.getBytes(StandardCharsets.UTF_8), modified, Files.size(file), checkedAt);
    }
}
