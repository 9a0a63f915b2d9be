package io.moemesh.helm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Prometheus series names the services emit, from the one list the chart's tests trust: the
 * metric tables of {@code docs/observability.md}, which each service's tests check against a scrape
 * of its registry (test-support's {@code DocumentedMetrics}); and the metric names a PromQL
 * expression refers to.
 */
record MetricNames(Set<String> series) {

    /** Read from the helm module's directory, where Maven runs its tests. */
    private static final Path DOC = Path.of("..", "docs", "observability.md");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w:$.])([a-zA-Z_:][\\w:]*)(\\s*\\()?");
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left",
            "group_right", "and", "or", "unless", "bool", "offset");

    /** The names in docs/observability.md's metric tables, which the services' own tests keep true. */
    static MetricNames load() {
        try {
            return fromObservabilityTables(Files.readString(DOC));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + DOC.toAbsolutePath(), e);
        }
    }

    static MetricNames parse(String list) {
        Set<String> series = new LinkedHashSet<>();
        for (String line : list.lines().map(String::strip).toList()) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+");
            if (fields.length != 2) {
                throw new IllegalArgumentException("not '<name> <type>': " + line);
            }
            series.addAll(switch (fields[1]) {
                case "counter", "gauge" -> List.of(fields[0]);
                case "histogram" -> List.of(fields[0] + "_bucket", fields[0] + "_count", fields[0] + "_sum", fields[0] + "_max");
                case "summary" -> List.of(fields[0] + "_count", fields[0] + "_sum", fields[0] + "_max");
                default -> throw new IllegalArgumentException("unknown metric type in: " + line);
            });
        }
        return new MetricNames(Set.copyOf(series));
    }

    /**
     * The metrics of docs/observability.md's tables whose header starts {@code | Prometheus name | type |}
     * (one metric per row, its name in backquotes), so that docs and chart cannot drift.
     */
    static MetricNames fromObservabilityTables(String markdown) {
        StringBuilder list = new StringBuilder();
        boolean inTable = false;
        for (String line : markdown.lines().map(String::strip).toList()) {
            if (!line.startsWith("|")) {
                inTable = false;
                continue;
            }
            String[] cells = line.substring(1).split("\\|");
            if (cells.length < 2) {
                continue;
            }
            String first = cells[0].strip();
            if (first.equalsIgnoreCase("Prometheus name") && cells[1].strip().equalsIgnoreCase("type")) {
                inTable = true;
            } else if (inTable && first.startsWith("`") && first.endsWith("`")) {
                list.append(first, 1, first.length() - 1).append(' ').append(cells[1].strip()).append('\n');
            }
        }
        return parse(list.toString());
    }

    boolean exists(String name) {
        return series.contains(name);
    }

    /**
     * The metric names a PromQL expression selects: its identifiers once string literals, label
     * matchers, ranges and label lists ({@code by (layer, le)}) are taken out, less function and
     * aggregation names (then followed by "(") and keywords.
     */
    static Set<String> referencedIn(String promql) {
        String bare = promql.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
                .replaceAll("\\{[^}]*}", "{}")
                .replaceAll("\\[[^]]*]", "[]")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENTIFIER.matcher(bare);
        while (m.find()) {
            if (m.group(2) == null && !KEYWORDS.contains(m.group(1))) {
                names.add(m.group(1));
            }
        }
        return names;
    }
}
