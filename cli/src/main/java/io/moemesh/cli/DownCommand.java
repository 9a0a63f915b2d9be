package io.moemesh.cli;

import io.moemesh.cli.local.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code moe down}: stops what {@code moe up} started, the placement controller first, and the expert
 * replicas the controller started ({@code <state-dir>/replicas/*.pid}); services drain in-flight work first.
 */
@Command(name = "down", mixinStandardHelpOptions = true, description = "Stop the local cluster started by `moe up`.")
final class DownCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--state-dir", defaultValue = ".moe", description = "State directory of `moe up` (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--grace-seconds", defaultValue = "30", description = "Drain time before processes are killed.")
    int graceSeconds;

    @Override
    public Integer call() {
        LocalCluster.Down down = new LocalCluster(MoeCommand.home(), stateDir).down(Duration.ofSeconds(graceSeconds));
        spec.commandLine().getOut().printf("stopped %d processes%n", down.stopped());
        return 0;
    }
}
