package io.moemesh.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code moemesh_*} metric families of a Prometheus text exposition, and which of them a document
 * ({@code docs/observability.md}) does not name, so that a test fails when a meter is added without
 * being documented. A family is named as it is queried: a counter with its {@code _total}, a
 * histogram or summary by its base name (its {@code _bucket}, {@code _count} and {@code _sum} series
 * go with it). Micrometer adds a {@code _max} gauge beside every timer and distribution; the document
 * states that once, so such a gauge counts as documented with its distribution.
 */
public final class DocumentedMetrics {

    private static final Pattern TYPE = Pattern.compile("^# TYPE (moemesh_\\w+) (\\w+)$", Pattern.MULTILINE);

    private DocumentedMetrics() {
    }

    /** Family name → Prometheus type ({@code counter}, {@code gauge}, {@code histogram}, {@code summary}). */
    public static Map<String, String> families(String exposition) {
        Map<String, String> types = new TreeMap<>();
        Matcher m = TYPE.matcher(exposition);
        while (m.find()) {
            String name = m.group(1);
            String type = m.group(2);
            types.put(type.equals("counter") && !name.endsWith("_total") ? name + "_total" : name, type);
        }
        return types;
    }

    /** The families of {@code exposition} that {@code document} never names in backticks, sorted. */
    public static Set<String> undocumented(String exposition, Path document) {
        String text;
        try {
            text = Files.readString(document);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> families = families(exposition);
        Set<String> missing = new TreeSet<>();
        families.forEach((name, type) -> {
            String distribution = name.endsWith("_max") ? name.substring(0, name.length() - 4) : null;
            boolean maxOfDistribution = distribution != null && Set.of("histogram", "summary")
                    .contains(families.getOrDefault(distribution, ""));
            if (!maxOfDistribution && !text.contains("`" + name + "`")) {
                missing.add(name);
            }
        });
        return missing;
    }
}
