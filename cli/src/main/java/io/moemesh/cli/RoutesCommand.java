package io.moemesh.cli;

import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.kernel.Kernels;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moe routes}: shows which experts every token of a prompt is routed to, layer by layer. */
@Command(name = "routes", mixinStandardHelpOptions = true,
        description = "Print, per token and layer, the experts the gate chose and their weights.")
final class RoutesCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model directory.")
    Path model;

    @Option(names = "--prompt", required = true, description = "Text to route.")
    String prompt;

    @Option(names = "--experts-per-token", defaultValue = "0",
            description = "Override the model's experts per token; 0 = the model's value.")
    int expertsPerToken;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (InProcessEngine engine = InProcessEngine.open(model, Kernels.best(), expertsPerToken)) {
            int[] ids = engine.tokenizer().encode(prompt);
            if (ids.length == 0) {
                throw new IllegalArgumentException("the prompt is empty");
            }
            int layers = engine.config().numMoeLayers();
            GateDecision[][] routes = new GateDecision[ids.length][layers];
            engine.score(ids, (layer, token, decision) -> routes[token][layer] = decision);
            int[][] counts = new int[layers][engine.config().numExperts()];

            StringBuilder header = new StringBuilder(String.format("%-5s %-8s", "pos", "token"));
            for (int l = 0; l < layers; l++) {
                header.append(String.format(" | layer %-14d", l));
            }
            out.println(header);
            for (int t = 0; t < ids.length; t++) {
                StringBuilder row = new StringBuilder(String.format("%-5d %-8s", t, display(engine, ids[t])));
                for (int l = 0; l < layers; l++) {
                    row.append(" | ").append(String.format("%-20s", format(routes[t][l])));
                    for (int e : routes[t][l].experts()) {
                        counts[l][e]++;
                    }
                }
                out.println(row);
            }
            out.println();
            for (int l = 0; l < layers; l++) {
                StringBuilder load = new StringBuilder("layer " + l + " tokens per expert:");
                for (int e = 0; e < counts[l].length; e++) {
                    load.append(' ').append(e).append('=').append(counts[l][e]);
                }
                out.println(load);
            }
        }
        return 0;
    }

    /** "e0 (w0) e1 (w1)" with weights to two decimals. */
    private static String format(GateDecision d) {
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < d.k(); j++) {
            sb.append(j == 0 ? "" : " ").append(d.experts()[j]).append(String.format(" (%.2f)", d.weights()[j]));
        }
        return sb.toString();
    }

    /** A token's text, quoted; a byte that is only part of a UTF-8 character shows as its id. */
    private static String display(InProcessEngine engine, int id) {
        String text = engine.tokenizer().decode(new int[] {id});
        if (text.isEmpty() || text.contains("\uFFFD")) {
            return "#" + id;
        }
        return "'" + text.replace("\n", "\\n").replace("\t", "\\t") + "'";
    }
}
