package io.moemesh.cli.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a service module and its arguments into a running {@link ServiceProcess}: the module's jar
 * under {@code home} (with its AOT cache when the build made one), run by this JVM's {@code java}
 * with the flags its cache was recorded with, its output in {@code logs/<name>.log} under
 * {@code stateDir}. What the arguments say is the caller's ({@link LocalCluster}).
 */
final class ServiceLauncher {

    /** Extra JVM options for every service process, e.g. for profiling: {@code MOEMESH_SERVICE_JVM_OPTS="-Xmx1g"}. */
    static final String EXTRA_JVM_OPTIONS = "MOEMESH_SERVICE_JVM_OPTS";

    private final Path home;
    private final Path stateDir;

    ServiceLauncher(Path home, Path stateDir) {
        this.home = home;
        this.stateDir = stateDir;
    }

    Path home() {
        return home;
    }

    Path stateDir() {
        return stateDir;
    }

    /** @param web whether the service serves HTTP too (the controller's JSON status); the others need only gRPC */
    ServiceProcess launch(String name, String role, int port, String module, List<String> args, boolean web) {
        return start(name, role, port, command(module, args, web));
    }

    /** The command line {@link #launch} runs: with this environment's {@value #EXTRA_JVM_OPTIONS}. */
    List<String> command(String module, List<String> args, boolean web) {
        return serviceCommand(module, System.getenv(EXTRA_JVM_OPTIONS), args, web);
    }

    ServiceProcess start(String name, String role, int port, List<String> command) {
        Path log = stateDir.resolve("logs").resolve(name + ".log");
        try {
            Files.createDirectories(log.getParent());
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            return new ServiceProcess(name, role, port, p.pid(), log.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * The command line of one service: the flags of {@code moemesh.service.jvm.args} in the root pom
     * (which recorded the AOT cache), the cache flags, then {@code extraJvmOptions} (whitespace
     * separated, may be null) last among the JVM options so that they override ours, then the jar
     * and the service's arguments.
     */
    List<String> serviceCommand(String module, String extraJvmOptions, List<String> args) {
        return serviceCommand(module, extraJvmOptions, args, false);
    }

    List<String> serviceCommand(String module, String extraJvmOptions, List<String> args, boolean web) {
        List<String> command = new ArrayList<>(List.of(javaBinary(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xss1m"));
        List<String> jar = jarArguments(module);
        int dashJar = jar.indexOf("-jar");
        command.addAll(jar.subList(0, dashJar));
        if (extraJvmOptions != null && !extraJvmOptions.isBlank()) {
            command.addAll(List.of(extraJvmOptions.strip().split("\\s+")));
        }
        command.addAll(jar.subList(dashJar, jar.size()));
        if (!web) {
            command.add("--spring.main.web-application-type=none");
        }
        command.add("--spring.main.banner-mode=off");
        command.addAll(args);
        return command;
    }

    /**
     * {@code -jar} and the jar to run: the extracted jar with its AOT cache when the build made them
     * from the current runnable jar (about half the start-up CPU of a service), else the runnable jar.
     * The cache is used for its loaded and linked classes only: with the method profiles JDK 25 also
     * replays from it (JEP 515, {@code AOTReplayTraining}), C2 compiled the experts' FFN kernels into
     * code that needed 1.5–2× the CPU of the in-process engine's on every call, for good
     * (docs/performance.md).
     */
    List<String> jarArguments(String module) {
        Path target = home.resolve(module).resolve("target");
        Path jar = target.resolve(module + "-exec.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " not found: build it with ./mvnw -pl " + module + " -am package "
                    + "(the ./moe script does)");
        }
        Path extracted = target.resolve("aot").resolve(module + "-exec.jar");
        Path cache = target.resolve("aot").resolve(module + ".aot");
        if (isNewerOrSame(extracted, jar) && isNewerOrSame(cache, extracted)) {
            return List.of("-XX:AOTCache=" + cache, "-XX:+UnlockDiagnosticVMOptions", "-XX:-AOTReplayTraining",
                    "-jar", extracted.toString());
        }
        return List.of("-jar", jar.toString());
    }

    private static boolean isNewerOrSame(Path file, Path than) {
        try {
            return Files.isRegularFile(file)
                    && Files.getLastModifiedTime(file).compareTo(Files.getLastModifiedTime(than)) >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** SIGTERM, then SIGKILL for whatever still runs after {@code grace}. */
    static void stop(List<ServiceProcess> processes, Duration grace) {
        stopHandles(processes.reversed().stream().flatMap(p -> ProcessHandle.of(p.pid()).stream()).toList(), grace);
    }

    /** SIGTERM to each of {@code processes} in order, then SIGKILL for whatever still runs after {@code grace}. */
    static void stopHandles(List<ProcessHandle> processes, Duration grace) {
        List<ProcessHandle> alive = processes.stream().filter(ProcessHandle::isAlive).toList();
        alive.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + grace.toNanos();
        for (ProcessHandle h : alive) {
            while (h.isAlive() && System.nanoTime() < deadline) {
                pause();
            }
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        }
    }

    static String javaBinary() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for services", e);
        }
    }
}
