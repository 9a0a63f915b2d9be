package io.moemesh.helm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The property names a service binds, read from the source of its {@code @ConfigurationProperties}
 * record (so the chart's tests need no service on the classpath): {@code moemesh.expert.model-dir}
 * for the component {@code Path modelDir} of the record bound to {@code moemesh.expert}. A
 * component of a nested record type ({@code RateLimit rateLimit}) names a prefix, {@code rate-limit}.
 */
record PropertyNames(String prefix, Set<String> names) {

    private static final Pattern BINDING = Pattern.compile("@ConfigurationProperties\\(\"([^\"]+)\"\\)");
    private static final Pattern ANNOTATION = Pattern.compile("@\\w+(\\([^)]*\\))?");

    /** Reads {@code <module>/src/main/java/<path>} of the repository (the chart module is one level down). */
    static PropertyNames of(String module, String sourcePath) {
        Path source = Path.of("..", module, "src/main/java", sourcePath);
        try {
            return parse(Files.readString(source));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the properties record " + source.toAbsolutePath(), e);
        }
    }

    static PropertyNames parse(String source) {
        Matcher binding = BINDING.matcher(source);
        if (!binding.find()) {
            throw new IllegalArgumentException("no @ConfigurationProperties(\"...\") in the source");
        }
        int open = source.indexOf('(', source.indexOf("record ", binding.end()));
        int close = source.indexOf(") {", open);
        String components = ANNOTATION.matcher(source.substring(open + 1, close)).replaceAll(" ");
        Set<String> names = Arrays.stream(components.split(","))
                .map(String::strip)
                .map(c -> c.substring(c.lastIndexOf(' ') + 1))
                .map(PropertyNames::kebab)
                .collect(Collectors.toUnmodifiableSet());
        return new PropertyNames(binding.group(1), names);
    }

    /** Whether {@code moemesh.x.some-name} (or {@code moemesh.x.nested-record.field}) is bound by this record. */
    boolean binds(String property) {
        if (!property.startsWith(prefix + ".")) {
            return false;
        }
        String rest = property.substring(prefix.length() + 1);
        int dot = rest.indexOf('.');
        return names.contains(dot < 0 ? rest : rest.substring(0, dot));
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }
}
