package io.moemesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every property {@code moe up} sets ({@link ServiceArguments}' names) is a component of the
 * {@code @ConfigurationProperties} record that binds it, read from the services' sources (the cli has
 * no service on its classpath): a renamed property fails here, not when a local cluster starts.
 */
class ServicePropertyNamesTest {

    /** Each prefix and the sources of the records bound under it (the longest prefix wins). */
    private static final Map<String, List<String>> RECORDS = Map.of(
            "moemesh.expert.", List.of("expert-service/src/main/java/io/moemesh/expert/ExpertServiceProperties.java"),
            "moemesh.router.", List.of("router-service/src/main/java/io/moemesh/router/RouterProperties.java",
                    "router-service/src/main/java/io/moemesh/router/AdmissionProperties.java"),
            "moemesh.gateway.", List.of("gateway-service/src/main/java/io/moemesh/gateway/GatewayProperties.java"),
            "moemesh.controller.", List.of(
                    "placement-controller/src/main/java/io/moemesh/placement/ControllerProperties.java"),
            "moemesh.controller.local.", List.of(
                    "placement-controller/src/main/java/io/moemesh/placement/local/LocalProperties.java"),
            "moemesh.controller.pruning.", List.of(
                    "placement-controller/src/main/java/io/moemesh/placement/local/PruningProperties.java"),
            "moemesh.transport.", List.of(
                    "service-support/src/main/java/io/moemesh/service/transport/TransportProperties.java"),
            "moemesh.auth.", List.of("service-support/src/main/java/io/moemesh/service/transport/AuthProperties.java"));

    @Test
    void everyPropertyMoeUpSetsIsBoundByItsService() throws Exception {
        List<String> names = moemeshNames();
        assertThat(names).hasSizeGreaterThan(30);
        for (String name : names) {
            String prefix = RECORDS.keySet().stream().filter(name::startsWith)
                    .max((a, b) -> Integer.compare(a.length(), b.length())).orElseThrow(
                            () -> new AssertionError(name + " has no known properties record"));
            String last = name.substring(name.lastIndexOf('.') + 1);
            Pattern component = Pattern.compile("\\b" + Pattern.quote(camel(last)) + "\\s*[,)]");
            boolean bound = false;
            for (String source : RECORDS.get(prefix)) {
                bound |= component.matcher(read(source)).find();
            }
            assertThat(bound).as(name + " is a component of " + RECORDS.get(prefix)).isTrue();
        }
    }

    private static List<String> moemeshNames() throws IllegalAccessException {
        List<String> names = new ArrayList<>();
        for (Field f : ServiceArguments.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class
                    && f.get(null) instanceof String value && value.startsWith("moemesh.")) {
                names.add(value);
            }
        }
        return names;
    }

    private static String camel(String kebab) {
        StringBuilder out = new StringBuilder();
        for (String part : kebab.split("-")) {
            out.append(out.isEmpty() ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
        }
        return out.toString();
    }

    private static String read(String source) {
        try {
            return Files.readString(Path.of("..", source));
        } catch (IOException e) {
            throw new AssertionError("cannot read " + Path.of("..", source).toAbsolutePath(), e);
        }
    }
}
