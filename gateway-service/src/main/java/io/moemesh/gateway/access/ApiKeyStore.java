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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accepted API keys: those given inline plus those in {@code moemesh.gateway.api-keys-file}.
 * The file is read again on a schedule and its content compared: a mounted Kubernetes Secret is
 * updated by swapping a symlink, which a WatchService on the file itself never reports, and
 * comparing content also catches a change that keeps the modification time. A file that cannot be
 * read, or holds no valid key, keeps the keys in use (an ERROR says why): a half-written or
 * deleted Secret must not lock everyone out, nor let everyone in.
 *
 * <p>One failed reload changes nothing but the record of it: the keys in use stay, the failure is
 * logged and counted ({@link #reloadFailures()}), and the next poll tries again. That holds for any
 * exception or {@link Error} a reload throws (a scheduled task that throws is never run again, so
 * the poller catches everything), except a {@link VirtualMachineError}, after which the JVM's state
 * is in doubt: it is logged and counted, and polling stops. Either way
 * {@link #sinceLastGoodRead()} keeps growing until a read brings the file's keys into use again,
 * which is what an alert should watch.
 */
public final class ApiKeyStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiKeyStore.class);
    /** A key file is a few lines; this bounds what a wrong path (a log file, a device) can make the gateway read. */
    private static final int MAX_FILE_BYTES = 1 << 20;

    /** How the file is read; a seam for tests that make a read fail. */
    @FunctionalInterface
    interface KeyFileReader {
        byte[] read(Path file) throws IOException;
    }

    private final List<String> inlineKeys;
    private final Path file;
    private final KeyFileReader reader;
    private final LongSupplier nanoTime;
    private final AtomicReference<ApiKeys> current;
    private final AtomicLong reloadFailures = new AtomicLong();
    /** When a read last left the file's keys in use. */
    private volatile long lastGoodRead;
    /** The content last read whole; its keys are in use unless {@link #lastContentRefused}. */
    private byte[] lastContent;
    private boolean lastContentRefused;
    private String lastProblem;
    private Duration pollInterval;
    private ScheduledExecutorService poller;

    private ApiKeyStore(List<String> inlineKeys, Path file, KeyFileReader reader, LongSupplier nanoTime, ApiKeys keys,
            byte[] content) {
        this.inlineKeys = List.copyOf(inlineKeys);
        this.file = file;
        this.reader = reader;
        this.nanoTime = nanoTime;
        this.current = new AtomicReference<>(keys);
        this.lastContent = content;
        this.lastGoodRead = nanoTime.getAsLong();
    }

    /**
     * Reads the keys for start-up. Throws {@link IllegalStateException} with a message naming the
     * setting when the file cannot be read, a key is invalid, or there is no key at all and
     * {@code allowUnauthenticated} is false.
     */
    public static ApiKeyStore load(List<String> inlineKeys, Path file, boolean allowUnauthenticated) {
        return load(inlineKeys, file, allowUnauthenticated, ApiKeyStore::read, System::nanoTime);
    }

    /** As above, reading the file with {@code reader}, timing reads by {@code nanoTime}. */
    static ApiKeyStore load(List<String> inlineKeys, Path file, boolean allowUnauthenticated, KeyFileReader reader,
            LongSupplier nanoTime) {
        byte[] content = null;
        Set<String> keys = new LinkedHashSet<>(inlineKeys);
        if (file != null) {
            try {
                content = reader.read(file);
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
        return new ApiKeyStore(inlineKeys, file, reader, nanoTime, new ApiKeys(List.copyOf(keys)), content);
    }

    public ApiKeys current() {
        return current.get();
    }

    /** Whether keys come from a file, which is read again while polling. */
    public boolean readsFile() {
        return file != null;
    }

    /** Reloads that failed: the file could not be read, a new content held no valid key, or the reload threw. */
    public long reloadFailures() {
        return reloadFailures.get();
    }

    /** Time since a read of the file last left its keys in use (at start-up, or a reload). */
    public Duration sinceLastGoodRead() {
        return Duration.ofNanos(nanoTime.getAsLong() - lastGoodRead);
    }

    /** Reads the file every {@code interval} on a daemon thread until {@link #close()}; no-op without a file. */
    public synchronized void startPolling(Duration interval) {
        if (file == null || poller != null) {
            return;
        }
        pollInterval = interval;
        poller = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("api-keys-file")
                .factory());
        poller.scheduleWithFixedDelay(this::poll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Reads the file and, if its content changed and holds at least one valid key, uses its keys
     * (with the inline ones). Invalid lines are skipped with an ERROR each. A content is taken as
     * read only once it has been handled whole, so a reload that throws half-way is repeated in full.
     */
    public synchronized void reload() {
        if (file == null) {
            return;
        }
        byte[] content;
        try {
            content = reader.read(file);
        } catch (IOException e) {
            reloadFailures.incrementAndGet();
            problem("moemesh.gateway.api-keys-file " + file + " cannot be read (" + e + "); keeping the "
                    + current.get().size() + " keys in use");
            return;
        }
        if (Arrays.equals(content, lastContent)) {
            lastProblem = null;
            if (!lastContentRefused) {
                lastGoodRead = nanoTime.getAsLong();
            }
            return;
        }
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
            lastContent = content;
            lastContentRefused = true;
            reloadFailures.incrementAndGet();
            problem("moemesh.gateway.api-keys-file " + file + " has no valid keys; keeping the " + current.get().size()
                    + " keys in use");
            return;
        }
        keys.addAll(inlineKeys);
        ApiKeys previous = current.getAndSet(new ApiKeys(List.copyOf(keys)));
        lastContent = content;
        lastContentRefused = false;
        lastGoodRead = nanoTime.getAsLong();
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

    /** One scheduled reload: survives any failure but a {@link VirtualMachineError} (class Javadoc). */
    void poll() {
        try {
            reload();
        } catch (VirtualMachineError e) {
            reloadFailures.incrementAndGet();
            LOG.error("reloading API keys from {} failed; the JVM is in trouble, so polling stops, keeping the {} "
                    + "keys in use", file, current.get().size(), e);
            throw e;
        } catch (Throwable e) { // anything thrown out of here would cancel every later poll
            reloadFailures.incrementAndGet();
            LOG.error("reloading API keys from {} failed; keeping the {} keys in use, trying again in {}", file,
                    current.get().size(), pollInterval, e);
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
