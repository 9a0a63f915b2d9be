package io.moemesh.gateway.access;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accepted API keys: those given inline plus those in {@code moemesh.gateway.api-keys-file}.
 * The file is read again on a schedule and its content compared: a mounted Kubernetes Secret is
 * updated by swapping a symlink, which a WatchService on the file itself never reports, and
 * comparing content also catches a change that keeps the modification time. A file that cannot be
 * read, or holds no valid key, keeps the keys in use (an ERROR says why): a half-written or
 * deleted Secret must not lock everyone out, nor let everyone in.
 */
public final class ApiKeyStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiKeyStore.class);
    /** A key file is a few lines; this bounds what a wrong path (a log file, a device) can make the gateway read. */
    private static final int MAX_FILE_BYTES = 1 << 20;

    private final List<String> inlineKeys;
    private final Path file;
    private final AtomicReference<ApiKeys> current;
    private byte[] lastContent;
    private String lastProblem;
    private ScheduledExecutorService poller;

    private ApiKeyStore(List<String> inlineKeys, Path file, ApiKeys keys, byte[] content) {
        this.inlineKeys = List.copyOf(inlineKeys);
        this.file = file;
        this.current = new AtomicReference<>(keys);
        this.lastContent = content;
    }

    /**
     * Reads the keys for start-up. Throws {@link IllegalStateException} with a message naming the
     * setting when the file cannot be read, a key is invalid, or there is no key at all and
     * {@code allowUnauthenticated} is false.
     */
    public static ApiKeyStore load(List<String> inlineKeys, Path file, boolean allowUnauthenticated) {
        byte[] content = null;
        Set<String> keys = new LinkedHashSet<>(inlineKeys);
        if (file != null) {
            try {
                content = read(file);
            } catch (IOException e) {
                throw new IllegalStateException("moemesh.gateway.api-keys-file " + file + " cannot be read: " + e);
            }
            for (KeyLine line : parse(content)) {
                if (line.problem() != null) {
                    throw new IllegalStateException("moemesh.gateway.api-keys-file " + file + " line " + line.number()
                            + ": " + line.problem());
                }
                keys.add(line.key());
            }
        }
        if (keys.isEmpty() && !allowUnauthenticated) {
            throw new IllegalStateException("no API keys: " + (file == null ? "moemesh.gateway.api-keys is empty"
                    : "moemesh.gateway.api-keys-file " + file + " has no keys and moemesh.gateway.api-keys is empty")
                    + "; add keys (one per line in the file, at least " + ApiKeys.MIN_LENGTH + " characters), or set "
                    + "moemesh.gateway.allow-unauthenticated=true to serve anyone who can reach the port");
        }
        return new ApiKeyStore(inlineKeys, file, new ApiKeys(List.copyOf(keys)), content);
    }

    public ApiKeys current() {
        return current.get();
    }

    /** Reads the file every {@code interval} on a daemon thread until {@link #close()}; no-op without a file. */
    public synchronized void startPolling(Duration interval) {
        if (file == null || poller != null) {
            return;
        }
        poller = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("api-keys-file")
                .factory());
        poller.scheduleWithFixedDelay(this::reloadSafely, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Reads the file and, if its content changed and holds at least one valid key, uses its keys
     * (with the inline ones). Invalid lines are skipped with an ERROR each.
     */
    public synchronized void reload() {
        if (file == null) {
            return;
        }
        byte[] content;
        try {
            content = read(file);
        } catch (IOException e) {
            problem("moemesh.gateway.api-keys-file " + file + " cannot be read (" + e + "); keeping the "
                    + current.get().size() + " keys in use");
            return;
        }
        if (Arrays.equals(content, lastContent)) {
            lastProblem = null;
            return;
        }
        lastContent = content;
        lastProblem = null;
        Set<String> keys = new LinkedHashSet<>();
        for (KeyLine line : parse(content)) {
            if (line.problem() == null) {
                keys.add(line.key());
            } else {
                LOG.error("moemesh.gateway.api-keys-file {} line {} ignored: {}", file, line.number(), line.problem());
            }
        }
        if (keys.isEmpty()) {
            problem("moemesh.gateway.api-keys-file " + file + " has no valid keys; keeping the " + current.get().size()
                    + " keys in use");
            return;
        }
        keys.addAll(inlineKeys);
        ApiKeys previous = current.getAndSet(new ApiKeys(List.copyOf(keys)));
        List<String> added = new ArrayList<>(current.get().fingerprints());
        added.removeAll(previous.fingerprints());
        List<String> removed = new ArrayList<>(previous.fingerprints());
        removed.removeAll(current.get().fingerprints());
        LOG.info("API keys reloaded from {}: {} keys; added {}, removed {} (fingerprints)", file, current.get().size(),
                added, removed);
    }

    @Override
    public synchronized void close() {
        if (poller != null) {
            poller.shutdownNow();
            poller = null;
        }
    }

    private void reloadSafely() {
        try {
            reload();
        } catch (RuntimeException e) {
            LOG.error("reloading API keys from {} failed; keeping the keys in use", file, e);
        }
    }

    /** Logs a reload problem once, not on every poll while it lasts. */
    private void problem(String message) {
        if (!message.equals(lastProblem)) {
            LOG.error(message);
            lastProblem = message;
        }
    }

    private static byte[] read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] content = in.readNBytes(MAX_FILE_BYTES + 1);
            if (content.length > MAX_FILE_BYTES) {
                throw new IOException("larger than " + MAX_FILE_BYTES + " bytes; is this the key file?");
            }
            return content;
        }
    }

    /** Non-blank lines that are not {@code #} comments, each a key or why it is not one. */
    static List<KeyLine> parse(byte[] content) {
        String[] lines = new String(content, StandardCharsets.UTF_8).split("\\R", -1);
        List<KeyLine> keys = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                keys.add(new KeyLine(i + 1, line, ApiKeys.problemWith(line)));
            }
        }
        return keys;
    }

    record KeyLine(int number, String key, String problem) {
    }
}
