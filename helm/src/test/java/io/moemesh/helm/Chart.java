package io.moemesh.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The chart in {@code helm/moe-mesh}, linted and rendered by the real Helm library (helm-java, Helm
 * 3 compiled into a native library): the same template engine and values-schema check as {@code helm
 * template}, without a cluster or a helm binary. One render is one {@code helm template moe-mesh
 * helm/moe-mesh --namespace moe} with the given values files and {@code --set}s, in that order.
 *
 * <p>The chart refuses to render without the settings an operator must choose (API-key and
 * internal-token Secrets, the API server's address): {@link #withDefaults()} starts from the
 * chart's defaults plus {@link #REQUIRED}, {@link #unconfigured()} from the chart's defaults alone.
 */
final class Chart {

    static final Path DIR = Path.of("moe-mesh");
    static final Path EXAMPLES = Path.of("examples");
    static final String RELEASE = "moe-mesh";
    static final String NAMESPACE = "moe";
    static final String API_KEYS_SECRET = "moe-api-keys";
    static final String TOKEN_SECRET = "moe-internal-token";
    static final String API_SERVER = "10.96.0.1/32";
    /** What {@link #withHooks()} renames the annotation {@code helm.sh/hook} to. */
    static final String HOOK_AS_MANIFEST = "moemesh.io/rendered-hook";
    /** The values an install must give: what docs/kubernetes.md's install command sets. */
    static final String REQUIRED = """
            gateway:
              apiKeys:
                existingSecret: %s
            security:
              internalToken:
                existingSecret: %s
            networkPolicy:
              apiServer:
                cidrs: [%s]
            """.formatted(API_KEYS_SECRET, TOKEN_SECRET, API_SERVER);

    private final List<Path> valuesFiles = new ArrayList<>();
    private final Map<String, Object> sets = new LinkedHashMap<>();
    private String release = RELEASE;
    private Path dir = DIR;

    private Chart() {
    }

    /** The chart's defaults plus {@link #REQUIRED}; later values and sets override both. */
    static Chart withDefaults() {
        return new Chart().values(REQUIRED);
    }

    /** The chart's defaults alone, which it refuses to render. */
    static Chart unconfigured() {
        return new Chart();
    }

    /** Adds one of the values files shipped in {@code helm/examples}. */
    Chart example(String fileName) {
        Path file = EXAMPLES.resolve(fileName);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no example values file " + file.toAbsolutePath());
        }
        valuesFiles.add(file);
        return this;
    }

    /** Adds values given as YAML text (for lists and maps, which {@code --set} spells awkwardly). */
    Chart values(String yaml) {
        try {
            Path file = Files.createTempFile("moe-mesh-values", ".yaml");
            file.toFile().deleteOnExit();
            valuesFiles.add(Files.writeString(file, yaml));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Renders the hooks too: helm-java's template, like an install, leaves hook objects (the {@code
     * helm test} Pod) out of its output, so this renders a copy of the chart whose hook annotation
     * {@code helm.sh/hook} is renamed {@link #HOOK_AS_MANIFEST}, which makes them plain manifests.
     */
    Chart withHooks() {
        try {
            Path copy = copyOfChart();
            try (Stream<Path> files = Files.walk(copy.resolve("templates"))) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    Files.writeString(file, Files.readString(file).replace("helm.sh/hook:", HOOK_AS_MANIFEST + ":"));
                }
            }
            this.dir = copy;
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Renders as release {@code name} instead of {@link #RELEASE}. */
    Chart release(String name) {
        this.release = name;
        return this;
    }

    Chart set(String key, Object value) {
        sets.put(key, value);
        return this;
    }

    Manifests render() {
        return Manifests.parse(template().call());
    }

    /**
     * The install notes (NOTES.txt) for these values: a client-only dry-run install, which renders
     * them as {@code helm install} prints them, without a cluster.
     */
    String notes() {
        var install = new Helm(DIR).install().withName(release).withNamespace(NAMESPACE).clientOnly().dryRun();
        for (Path file : valuesFiles) {
            install = install.withValuesFile(file);
        }
        for (Map.Entry<String, Object> set : sets.entrySet()) {
            install = install.set(set.getKey(), set.getValue());
        }
        return install.call().getOutput();
    }

    /** The message with which Helm refuses to render these values; fails when it renders them. */
    String refusal() {
        try {
            template().call();
        } catch (IllegalStateException refused) {
            return refused.getMessage();
        }
        throw new AssertionError("helm template rendered values " + valuesFiles + " " + sets + " that it should refuse");
    }

    /**
     * {@code helm lint --strict} of the chart with {@link #REQUIRED} merged into its values.yaml
     * (helm-java's lint takes no values files, and lint renders the templates, whose checks
     * refuse the bare defaults): a copy of the chart, linted in a temporary directory.
     */
    static LintResult lintStrict() {
        try {
            Path copy = copyOfChart();
            Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()), new org.yaml.snakeyaml.representer.Representer(
                    new DumperOptions()), blockStyle());
            Map<String, Object> values = yaml.load(Files.readString(DIR.resolve("values.yaml")));
            merge(values, yaml.load(REQUIRED));
            Files.writeString(copy.resolve("values.yaml"), yaml.dump(values));
            return new Helm(copy).lint().strict().call();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A copy of the chart in a temporary directory. */
    private static Path copyOfChart() throws IOException {
        Path copy = Files.createTempDirectory("moe-mesh-chart").resolve(DIR.getFileName());
        try (Stream<Path> files = Files.walk(DIR)) {
            for (Path file : files.toList()) {
                Path target = copy.resolve(DIR.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
        return copy;
    }

    private static DumperOptions blockStyle() {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return options;
    }

    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> into, Map<String, Object> from) {
        from.forEach((key, value) -> {
            if (value instanceof Map<?, ?> nested && into.get(key) instanceof Map<?, ?> existing) {
                merge((Map<String, Object>) existing, (Map<String, Object>) nested);
            } else {
                into.put(key, value);
            }
        });
    }

    private TemplateCommand template() {
        TemplateCommand template = new Helm(dir).template().withName(release).withNamespace(NAMESPACE);
        for (Path file : valuesFiles) {
            template = template.withValuesFile(file);
        }
        for (Map.Entry<String, Object> set : sets.entrySet()) {
            template = template.set(set.getKey(), set.getValue());
        }
        return template;
    }
}
