package io.moemesh.cli.local;

import io.moemesh.cli.network.NetworkFiles;
import io.moemesh.cli.network.NetworkProfile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.IntStream;

/**
 * An emulated network between the router and the expert endpoints ({@code moe up
 * --emulate-network}): the proxy of the i-th endpoint (replica-major, as the router lists them)
 * listens on {@code firstPort + i}, and the router is given those addresses instead of the experts'.
 */
public record Network(int firstPort, NetworkProfile profile) {

    /**
     * Starts the proxy process ({@code moe network-proxy}, from the CLI's own jar) in front of
     * {@code experts}, under the profile it writes to the cluster's state directory (the launcher's).
     */
    ServiceProcess launch(ServiceLauncher launcher, List<String> experts) {
        NetworkFiles.in(launcher.stateDir()).writeProfile(profile);
        List<String> command = new ArrayList<>(List.of(ServiceLauncher.javaBinary(), "-XX:+UseSerialGC", "-Xmx256m",
                "-jar", launcher.home().resolve("cli").resolve("target").resolve("moe.jar").toString(),
                "network-proxy", "--bind=" + LocalCluster.BIND_ADDRESS,
                "--state-dir=" + launcher.stateDir().toAbsolutePath()));
        for (int i = 0; i < experts.size(); i++) {
            command.add("--route=" + (firstPort + i) + "=" + experts.get(i));
        }
        return launcher.start("network", "network", firstPort, command);
    }

    List<String> proxiedTargets(int endpoints) {
        return IntStream.range(0, endpoints).mapToObj(i -> LocalCluster.BIND_ADDRESS + ":" + (firstPort + i)).toList();
    }

    /** Waits until every expert answers SERVING through its proxy. */
    static void awaitServing(Collection<String> targets, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String target : targets) {
            while (!HealthProbe.serving(target)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(target + " (an expert through the emulated network) not ready after "
                            + timeout + "; see the network log");
                }
                ServiceLauncher.pause();
            }
        }
    }
}
