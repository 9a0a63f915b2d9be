package io.moemesh.router.discovery.file;

import io.moemesh.core.local.ExpertEndpointsFile;
import io.moemesh.router.discovery.ExpertDiscovery;
import io.moemesh.router.dispatch.ExpertEndpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expert endpoints from a file ({@link ExpertEndpointsFile}: one {@code host:port} per line, each its
 * own endpoint id), for local mode: {@code moe up} writes the file, and the placement controller
 * rewrites it when it starts or stops an expert process. Both replace it atomically (a temporary file renamed over it), so a read sees the old
 * or the new list, never half of one.
 *
 * <p>The file is read at subscription, where a missing, unreadable or malformed file is an error
 * naming it (the router does not start on a list it cannot read), and then every {@code poll} on one
 * daemon thread. The content is compared, not the modification time, which a rewrite within the
 * file system's time resolution would leave unchanged; a different set of endpoints is reported
 * whole, as the level-based {@link ExpertDiscovery} contract asks. A later read that fails, or a
 * malformed line, keeps the last good set: logged at WARN once per distinct problem (with the line
 * number), and once more when the file reads well again.
 */
public final class FileExpertDiscovery implements ExpertDiscovery {

    private static final Logger LOG = LoggerFactory.getLogger(FileExpertDiscovery.class);

    private final Path file;
    private final Duration poll;

    public FileExpertDiscovery(Path file, Duration poll) {
        if (!poll.isPositive()) {
            throw new IllegalArgumentException("the experts file poll interval must be positive, got " + poll);
        }
        this.file = file;
        this.poll = poll;
    }

    /**
     * The endpoints the file lists now.
     *
     * @throws IllegalStateException naming the file when it is missing, unreadable or has a malformed line
     */
    public List<ExpertEndpoint> read() {
        try {
            // Files.readString, not ExpertEndpointsFile.read: a missing file is an error here
            return ExpertEndpointsFile.parse(Files.readString(file)).stream().map(t -> new ExpertEndpoint(t, t))
                    .toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the experts file " + file.toAbsolutePath() + " ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + "); moemesh.router.experts-file must"
                    + " name a readable file listing the expert endpoints, one host:port per line", e);
        } catch (ExpertEndpointsFile.MalformedLineException e) {
            throw new IllegalStateException("the experts file " + file.toAbsolutePath() + " has a malformed "
                    + e.getMessage() + "; each line must be host:port, blank, or a # comment", e);
        }
    }

    @Override
    public Subscription subscribe(Listener listener) {
        Poller poller = new Poller(listener, read());
        LOG.info("discovering expert endpoints from {} (read every {}): {} endpoint(s)", file.toAbsolutePath(), poll,
                poller.last.size());
        ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "expert-endpoints-file");
            t.setDaemon(true);
            return t;
        });
        thread.execute(poller::report);
        long nanos = poll.toNanos();
        thread.scheduleWithFixedDelay(poller::poll, nanos, nanos, TimeUnit.NANOSECONDS);
        return () -> {
            thread.shutdownNow();
            try {
                if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                    LOG.warn("the experts file poller did not stop within 10 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    /** Reads and reports on the poll thread only, so reports never overlap. */
    private final class Poller {

        private final Listener listener;
        private List<ExpertEndpoint> last; // the newest good set read
        private boolean reported; // whether the listener took {@code last}
        private String problem; // the problem last logged; null while the file reads well

        Poller(Listener listener, List<ExpertEndpoint> first) {
            this.listener = listener;
            this.last = first;
        }

        void poll() {
            List<ExpertEndpoint> now;
            try {
                now = read();
            } catch (RuntimeException e) { // never escapes: that would end the polling without a trace
                String seen = e instanceof IllegalStateException ? e.getMessage()
                        : "cannot read the experts file " + file.toAbsolutePath() + ": " + e;
                if (!seen.equals(problem)) {
                    problem = seen;
                    LOG.warn("{}; keeping the last good list of {} expert endpoint(s)", problem, last.size());
                }
                return;
            }
            if (problem != null) {
                LOG.info("the experts file {} reads well again: {} endpoint(s)", file.toAbsolutePath(), now.size());
                problem = null;
            }
            if (!Objects.equals(now, last)) {
                last = now;
                reported = false;
            }
            if (!reported) {
                report();
            }
        }

        /** Reports {@code last}; a listener that throws gets it again at the next poll. */
        void report() {
            try {
                listener.onEndpoints(last);
                reported = true;
            } catch (RuntimeException e) {
                LOG.warn("could not report the {} expert endpoint(s) of {}; trying again in {}", last.size(),
                        file.toAbsolutePath(), poll, e);
            }
        }
    }
}
