package io.moemesh.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One {@code moe} command run in this JVM as a user would type it: its exit code, output and errors. */
record MoeRun(int code, String out, String err) {

    static MoeRun moe(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cmd = MoeCommand.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new MoeRun(code, out.toString(), err.toString());
    }

    /**
     * {@code moe up} of {@code model} into {@code stateDir} with the gateway's, the HTTP API's
     * ({@code httpPort}) and the router's ports free ones, so that a test neither meets a cluster the
     * user runs on the defaults nor another test's; {@code more} adds the test's own options (its own
     * {@code --timeout} replaces the 300 s readiness wait).
     */
    static MoeRun up(Path model, Path stateDir, String httpPort, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("up", "--model", model.toString(), "--state-dir",
                stateDir.toString(), "--gateway-port", freePort(), "--http-port", httpPort,
                "--router-port", freePort(), "--router-internal-port", freePort(), "--router-http-port", freePort()));
        if (!List.of(more).contains("--timeout")) {
            args.addAll(List.of("--timeout", "300s"));
        }
        args.addAll(List.of(more));
        return moe(args.toArray(String[]::new));
    }

    /** {@code moe down} of the cluster in {@code stateDir}, if one was started there. */
    static void down(Path stateDir) {
        if (stateDir != null && Files.isRegularFile(stateDir.resolve("cluster.json"))) {
            moe("down", "--state-dir", stateDir.toString(), "--grace-seconds", "20");
        }
    }

    static String freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return String.valueOf(s.getLocalPort());
        }
    }

    private static int nextBase = 20000 + (int) (ProcessHandle.current().pid() % 20000);

    /**
     * The first of {@code n} consecutive ports that are free now, after any range handed out before
     * (for {@code --expert-port} and {@code --network-port}, which count up from one port).
     */
    static synchronized String freePortRange(int n) {
        for (int base = nextBase; ; base += n) {
            if (allFree(base, n)) {
                nextBase = base + n;
                return String.valueOf(base);
            }
        }
    }

    private static boolean allFree(int base, int n) {
        for (int p = base; p < base + n; p++) {
            try (ServerSocket s = new ServerSocket(p)) {
                s.setReuseAddress(true);
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }
}
