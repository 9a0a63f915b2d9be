package io.moemesh.cli;

import io.moemesh.cli.network.NetworkFiles;
import io.moemesh.cli.network.NetworkProfile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code moe network}: shows, or switches, the emulated network of a cluster that {@code moe up
 * --emulate-network} started. Switching waits until the proxy reports the new profile, so what a
 * benchmark measures next runs on it.
 */
@Command(name = "network", mixinStandardHelpOptions = true,
        description = "Show or switch the emulated network between the router and the experts "
                + "(a cluster started with `moe up --emulate-network`).")
final class NetworkCommand implements Callable<Integer> {

    private static final Duration SWITCH_TIMEOUT = Duration.ofSeconds(5);

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "SPEC", description = "New network: a preset (none, rack, zone, "
            + "cross-zone) or rtt=..,jitter=..,bandwidth=..,node=.. (see `moe up --help`). Without it: show.")
    String network;

    @Option(names = "--state-dir", defaultValue = ".moe", description = "State directory of `moe up` (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        NetworkFiles files = NetworkFiles.in(stateDir);
        if (!Files.isRegularFile(files.profile())) {
            throw new IllegalStateException("no emulated network under " + stateDir
                    + ": start the cluster with `moe up --emulate-network SPEC`");
        }
        if (network != null) {
            NetworkProfile next = NetworkProfile.parse(network);
            files.writeProfile(next);
            long deadline = System.nanoTime() + SWITCH_TIMEOUT.toNanos();
            while (!report(files).startsWith("profile=" + next.spell() + " ")) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the network proxy did not take the new profile within "
                            + SWITCH_TIMEOUT.toSeconds() + " s; is the cluster up? (report: " + files.report() + ")");
                }
                Thread.sleep(100);
            }
        }
        NetworkProfile now = files.readProfile();
        String name = NetworkProfile.PRESETS.entrySet().stream().filter(e -> e.getValue().equals(now))
                .map(Map.Entry::getKey).findFirst().orElse("custom");
        out.printf("emulated network: %s (%s)%n", now.spell(), name);
        out.printf("delivered since it was set: %s%n", report(files).strip());
        return 0;
    }

    private static String report(NetworkFiles files) throws IOException {
        return Files.isRegularFile(files.report()) ? Files.readString(files.report()) : "";
    }
}
