package io.moemesh.cli.network;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.random.RandomGeneratorFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The process {@code moe up --emulate-network} starts between the router and the experts: an
 * {@link EmulatedNetwork} that follows the profile file (checked every 200 ms, so {@code moe network
 * SPEC} switches a running cluster) and rewrites its report every second. It runs until it is killed.
 */
@Command(name = "network-proxy", hidden = true, mixinStandardHelpOptions = true,
        description = "Internal: the emulated network's proxy process that `moe up --emulate-network` starts.")
public final class NetworkProxyCommand implements Callable<Integer> {

    @Option(names = "--route", required = true, paramLabel = "PORT=HOST:PORT",
            description = "Listen on PORT, forward to HOST:PORT; one per endpoint, in endpoint order.")
    List<String> routes;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to listen on.")
    String bind;

    @Option(names = "--state-dir", required = true, description = "Holds network-profile and network-report.")
    Path stateDir;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the jitter.")
    long seed;

    @Override
    public Integer call() throws Exception {
        NetworkFiles files = NetworkFiles.in(stateDir);
        ProfileWatcher watcher = new ProfileWatcher(files);
        NetworkProfile first = watcher.poll().orElseThrow(() -> new IllegalStateException(
                "no usable profile at " + files.profile() + ": " + watcher.error()));
        try (EmulatedNetwork network = new EmulatedNetwork(parseRoutes(routes), InetAddress.getByName(bind),
                first, RandomGeneratorFactory.of("L64X128MixRandom").create(seed)).start()) {
            long nextReport = 0;
            while (!Thread.currentThread().isInterrupted()) {
                Optional<NetworkProfile> next = watcher.poll();
                if (next.isPresent()) {
                    network.profile(next.get());
                    nextReport = 0;
                }
                if (System.nanoTime() >= nextReport) {
                    String report = network.report() + (watcher.error().isEmpty() ? "" : " error=" + watcher.error());
                    NetworkFiles.writeAtomically(files.report(), report + "\n");
                    nextReport = System.nanoTime() + 1_000_000_000L;
                }
                Thread.sleep(200);
            }
        }
        return 0;
    }

    static List<EmulatedNetwork.Route> parseRoutes(List<String> specs) {
        List<EmulatedNetwork.Route> out = new ArrayList<>();
        for (String spec : specs) {
            String[] parts = spec.split("=", 2);
            int colon = parts.length == 2 ? parts[1].lastIndexOf(':') : -1;
            if (colon < 0) {
                throw new IllegalArgumentException("route '" + spec + "': expected PORT=HOST:PORT");
            }
            out.add(new EmulatedNetwork.Route(Integer.parseInt(parts[0]), new InetSocketAddress(
                    parts[1].substring(0, colon), Integer.parseInt(parts[1].substring(colon + 1)))));
        }
        return out;
    }
}
