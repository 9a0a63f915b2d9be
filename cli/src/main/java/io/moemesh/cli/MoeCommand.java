package io.moemesh.cli;

import io.moemesh.cli.network.NetworkProxyCommand;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code moe} command: entry point of every subcommand. */
@Command(name = "moe",
        mixinStandardHelpOptions = true,
        version = "moe-mesh 0.1.0",
        description = "Serve Mixture-of-Experts models as one service per expert.",
        subcommands = {GenerateCommand.class, RoutesCommand.class, UpCommand.class, DownCommand.class, StatusCommand.class,
                PlanCommand.class, NetworkCommand.class, NetworkProxyCommand.class,
                DemoCommand.class,
                CommandLine.HelpCommand.class})
public final class MoeCommand {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The moe-mesh checkout: where the service jars are built ({@code -Dmoemesh.home}, set by the moe script). */
    static Path home() {
        return Path.of(System.getProperty("moemesh.home", System.getProperty("user.dir")));
    }

    static CommandLine commandLine() {
        return new CommandLine(new MoeCommand()).setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("moe: " + e.getMessage());
            return 1;
        });
    }
}
