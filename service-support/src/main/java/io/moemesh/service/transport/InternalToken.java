package io.moemesh.service.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared internal token, read from {@code moemesh.auth.internal-token-file} (a mounted Secret).
 * Every non-blank line that is not a {@code #} comment is a token that callers may present; the
 * first is the one this process sends. The kubelet updates the Secret in each pod at a different
 * moment, so a rotation goes through a file of two tokens: add the new token as the second line,
 * wait until every pod has it, move it first (pods now send it), wait again, remove the old one.
 * The file is checked again at most once per {@code recheck} when the token is used, and re-read
 * when its modification time or size changed, so a rotated Secret takes effect without a restart.
 * A file without a token, or with one too short, stops the service at start-up; a file that turns
 * invalid later is ignored with an ERROR and the previous tokens stay in use.
 */
public final class InternalToken {

    /** Shorter tokens are guessable by a patient caller; 32 printable characters ≈ 190 bits at random. */
    public static final int MIN_LENGTH = 32;
    private static final Logger LOG = LoggerFactory.getLogger(InternalToken.class);

    /** @param tokens every accepted token, the one sent first */
    private record Loaded(List<byte[]> tokens, FileTime modified, long size, long checkedAt) {
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

    /** The token this process sends: the file's first. */
    public String value() {
        return new String(current().tokens().getFirst(), StandardCharsets.UTF_8);
    }

    /** Whether {@code presented} is one of the file's tokens, in time independent of where they differ. */
    public boolean matches(String presented) {
        if (presented == null) {
            return false;
        }
        byte[] bytes = presented.getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] token : current().tokens()) {
            match |= MessageDigest.isEqual(token, bytes); // every token compared: no early exit on a match
        }
        return match;
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
                    loaded = new Loaded(now.tokens(), now.modified(), now.size(), t);
                } else {
                    loaded = read(t);
                    LOG.info("internal token reloaded from {}", file);
                }
            } catch (IOException | IllegalArgumentException e) {
                LOG.error("internal token file {} could not be re-read, keeping the previous tokens: {}", file,
                        e.getMessage());
                loaded = new Loaded(now.tokens(), now.modified(), now.size(), t);
            }
            return loaded;
        }
    }

    private Loaded read(long checkedAt) throws IOException {
        FileTime modified = Files.getLastModifiedTime(file);
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<byte[]> tokens = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String token = lines.get(i).strip();
            if (token.isEmpty() || token.startsWith("#")) {
                continue;
            }
            if (token.length() < MIN_LENGTH || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("moemesh.auth.internal-token-file " + file + " line " + (i + 1)
                        + ": each token must be at least " + MIN_LENGTH + " printable ASCII characters without"
                        + " spaces (got " + token.length() + " characters); e.g. openssl rand -base64 48");
            }
            tokens.add(token.getBytes(StandardCharsets.UTF_8));
        }
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("moemesh.auth.internal-token-file " + file + " holds no token: write"
                    + " one of at least " + MIN_LENGTH + " characters per line (blank lines and # comments are"
                    + " ignored); e.g. openssl rand -base64 48");
        }
        return new Loaded(List.copyOf(tokens), modified, Files.size(file), checkedAt);
    }
}
