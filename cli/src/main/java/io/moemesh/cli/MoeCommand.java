package io.moemesh.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code moe} command: entry point of every subcommand. */
@Command(name = "moe",
        mixinStandardHelpOptions = true,
        version = "moe-mesh 0.1.0",
        description = "Serve Mixture-of-Experts models as one service per expert.",
        subcommands = {GenerateCommand.class, RoutesCommand.class, CommandLine.HelpCommand.class})
public final class MoeCommand {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new MoeCommand()).setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("moe: " + e.getMessage());
            return 1;
        });
    }
}
