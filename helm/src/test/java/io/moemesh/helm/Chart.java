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

/**
 * The chart in {@code helm/moe-mesh}, linted and rendered by the real Helm library (helm-java, Helm
 * 3 compiled into a native library): the same template engine and values-schema check as {@code helm
 * template}, without a cluster or a helm binary. One render is one {@code helm template moe-mesh
 * helm/moe-mesh --namespace moe} with the given values files and {@code --set}s, in that order.
 */
final class Chart {

    static final Path DIR = Path.of("moe-mesh");
    static final Path EXAMPLES = Path.of("examples");
    static final String RELEASE = "moe-mesh";
    static final String NAMESPACE = "moe";

    private final List<Path> valuesFiles = new ArrayList<>();
    private final Map<String, Object> sets = new LinkedHashMap<>();

    private Chart() {
    }

    static Chart withDefaults() {
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

    Chart set(String key, Object value) {
        sets.put(key, value);
        return this;
    }

    Manifests render() {
        return Manifests.parse(template().call());
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

    static LintResult lintStrict() {
        return new Helm(DIR).lint().strict().call();
    }

    private TemplateCommand template() {
        TemplateCommand template = new Helm(DIR).template().withName(RELEASE).withNamespace(NAMESPACE);
        for (Path file : valuesFiles) {
            template = template.withValuesFile(file);
        }
        for (Map.Entry<String, Object> set : sets.entrySet()) {
            template = template.set(set.getKey(), set.getValue());
        }
        return template;
    }
}
