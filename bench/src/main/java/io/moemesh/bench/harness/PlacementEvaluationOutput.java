package io.moemesh.bench.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@link PlacementEvaluation}'s rows as a CSV file and as the table it prints. */
final class PlacementEvaluationOutput {

    private static final List<String> COLUMNS = List.of("split", "budget", "strategy",
            "remote_calls_per_token_per_layer", "reduction_vs_one_per_expert", "bytes_per_token", "expert_memory",
            "max_over_mean", "captured_fraction", "bound_fraction", "bound_calls_per_token_per_layer",
            "bound_reduction_vs_one_per_expert", "uncapped_bound_fraction", "uncapped_bound_reduction_vs_one_per_expert",
            "extra_units", "per_service_cap");

    private PlacementEvaluationOutput() {
    }

    static void writeCsv(Path file, List<Map<String, Object>> rows) {
        StringBuilder sb = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (Map<String, Object> r : rows) {
            List<String> cells = new ArrayList<>();
            for (String c : COLUMNS) {
                Object v = r.get(c);
                cells.add(v instanceof Double d ? String.format(Locale.ROOT, "%.6f", d) : String.valueOf(v));
            }
            sb.append(String.join(",", cells)).append('\n');
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String table(List<Map<String, Object>> rows) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-13s %6s %-14s %7s %7s %7s %8s %8s %6s %6s%n",
                "split", "budget", "strategy", "calls", "reduct", "memory", "max/mean", "captured", "bound", "minCalls"));
        for (Map<String, Object> r : rows) {
            sb.append(String.format(Locale.ROOT, "%-13s %6.3f %-14s %7.4f %6.1f%% %7.3f %8.3f %8.3f %6.3f %6.4f%n",
                    r.get("split"), r.get("budget"), r.get("strategy"), r.get("remote_calls_per_token_per_layer"),
                    100 * (double) r.get("reduction_vs_one_per_expert"), r.get("expert_memory"), r.get("max_over_mean"),
                    r.get("captured_fraction"), r.get("bound_fraction"), r.get("bound_calls_per_token_per_layer")));
        }
        return sb.toString();
    }
}
