package io.moemesh.placement.local;

import io.moemesh.core.local.ExpertPidFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expert processes started from the launch script {@code moe up} writes: {@code <command>
 * <expert-index> <grpc-port> <http-port>} on two free loopback ports, output to
 * {@code <state>/logs/<name>.log}; serving once its gRPC health says SERVING; recorded in its
 * {@link ExpertPidFile} — the format {@code moe up} writes for the processes it starts, so the
 * directory lists them all and {@code moe down} stops them all. Every wait is bounded.
 */
public final class LocalProcesses implements ProcessPort {

    private static final Logger LOG = LoggerFactory.getLogger(LocalProcesses.class);
    private static final String HOST = "127.0.0.1";
    private static final Duration POLL = Duration.ofMillis(200);

    private final Path command;
    private final Path stateDir;
    private final Duration startTimeout;
    private final Duration stopGrace;
    private final HealthCheck health;

    /**
     * @param command      the launch script
     * @param stateDir     {@code moe up}'s state directory ({@code replicas/} and {@code logs/} inside)
     * @param startTimeout how long a new process may take to serve
     * @param stopGrace    how long a stopped process may take to exit after SIGTERM before SIGKILL
     */
    public LocalProcesses(Path command, Path stateDir, Duration startTimeout, Duration stopGrace, HealthCheck health) {
        this.command = command;
        this.stateDir = stateDir;
        this.startTimeout = startTimeout;
        this.stopGrace = stopGrace;
        this.health = health;
    }

    @Override
    public List<ExpertPidFile> list() {
        return scan(true);
    }

    @Override
    public List<ExpertPidFile> reapGone() {
        return scan(false);
    }

    /**
     * The live processes, or (live = false) the gone ones, whose pid files it deletes; liveness
     * (with its pid-reuse rule) is {@link ExpertPidFile#liveProcess}'s.
     */
    private List<ExpertPidFile> scan(boolean live) {
        List<ExpertPidFile> found = new ArrayList<>();
        for (ExpertPidFile p : ExpertPidFile.readAll(stateDir)) {
            if (p.liveProcess(stateDir).isPresent() == live) {
                found.add(p);
                if (!live) {
                    LOG.warn("expert process {} (pid {}, {}) is gone; removing its pid file", p.name(), p.pid(),
                            p.target());
                    delete(p);
                }
            }
        }
        return found;
    }

    @Override
    public ExpertPidFile start(int expert) {
        int grpcPort = freePort();
        int httpPort = freePort();
        String name = "expert-" + expert + "-p" + grpcPort;
        String target = HOST + ":" + grpcPort;
        Path log = stateDir.resolve("logs").resolve(name + ".log");
        Process process;
        try {
            Files.createDirectories(log.getParent());
            Files.createDirectories(ExpertPidFile.directory(stateDir));
            process = new ProcessBuilder(command.toString(), Integer.toString(expert), Integer.toString(grpcPort),
                    Integer.toString(httpPort)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new LocalProcessException("could not run " + command + " for expert " + expert + ": "
                    + e.getMessage() + " (check moemesh.controller.local.expert-command)", e);
        }
        ExpertPidFile started = new ExpertPidFile(name, process.pid(), target, expert);
        String failure;
        try {
            failure = awaitServing(process, target);
        } catch (RuntimeException e) {
            failure = "could not be health-checked (" + e.getMessage() + ")";
        }
        if (failure != null) {
            terminate(process.toHandle());
            throw new LocalProcessException("expert " + expert + " process " + name + " (pid " + process.pid() + ") "
                    + failure + "; stopped it, see " + log);
        }
        writePidFile(started);
        LOG.info("started expert {} process {} (pid {}) on {}", expert, name, process.pid(), target);
        return started;
    }

    /** Null once SERVING; otherwise why not (exited, or the start timeout passed). */
    private String awaitServing(Process process, String target) {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return "exited with status " + process.exitValue() + " before serving";
            }
            if (health.serving(target)) {
                return null;
            }
            try {
                if (process.waitFor(POLL.toMillis(), TimeUnit.MILLISECONDS)) {
                    return "exited with status " + process.exitValue() + " before serving";
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "was interrupted while waiting for it to serve";
            }
        }
        return "did not report SERVING on " + target + " within " + startTimeout
                + " (moemesh.controller.local.start-timeout)";
    }

    private void writePidFile(ExpertPidFile p) {
        try {
            p.write(stateDir);
        } catch (UncheckedIOException e) {
            ProcessHandle.of(p.pid()).ifPresent(this::terminate);
            throw new LocalProcessException("could not write " + p.file(stateDir) + " (" + e.getCause().getMessage()
                    + "); stopped the process it would record", e);
        }
    }

    @Override
    public void stop(ExpertPidFile p) {
        ProcessHandle.of(p.pid()).ifPresent(this::terminate);
        if (ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false)) {
            throw new LocalProcessException("expert process " + p.name() + " (pid " + p.pid()
                    + ") did not exit after SIGTERM and SIGKILL; its pid file stays");
        }
        delete(p);
        LOG.info("stopped expert {} process {} (pid {}, {})", p.expert(), p.name(), p.pid(), p.target());
    }

    /** SIGTERM, up to the grace for it to exit, then SIGKILL and a short wait. */
    private void terminate(ProcessHandle handle) {
        handle.destroy();
        if (!awaitExit(handle, stopGrace)) {
            LOG.warn("pid {} did not exit within {} of SIGTERM; killing it", handle.pid(), stopGrace);
            handle.destroyForcibly();
            awaitExit(handle, Duration.ofSeconds(5));
        }
    }

    private static boolean awaitExit(ProcessHandle handle, Duration within) {
        try {
            handle.onExit().get(within.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !handle.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !handle.isAlive();
        }
    }

    private void delete(ExpertPidFile p) {
        try {
            p.delete(stateDir);
        } catch (UncheckedIOException e) {
            LOG.warn("could not delete {}: {}", p.file(stateDir), e.getCause().getMessage());
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new LocalProcessException("no free loopback port for a new expert process: " + e.getMessage(), e);
        }
    }
}
