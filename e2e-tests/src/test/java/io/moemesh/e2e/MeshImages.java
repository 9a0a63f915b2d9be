package io.moemesh.e2e;

import com.github.dockerjava.api.exception.NotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The services' images, built once per test run from each module's own {@code Dockerfile} and the
 * runnable jar this build just packaged ({@code <module>/target/<module>-exec.jar}), exactly as
 * {@code tools/images/build.sh} builds them, tagged {@code moemesh/<module>:e2e}.
 *
 * <p>Base image: {@code moemesh.e2e.base-image} (or {@code MOEMESH_E2E_BASE_IMAGE}) when set; otherwise
 * {@code eclipse-temurin:25-jre} when the engine has it, else {@code moemesh/jre:25} (assembled from the local
 * JDK by {@code tools/images/base-image.sh} where no registry is reachable, as {@code .ci/run} does) when the
 * engine has that, else {@code eclipse-temurin:25-jre}, pulled by the build.
 */
final class MeshImages {

    static final String EXPERT = "expert-service";
    static final String ROUTER = "router-service";
    static final String GATEWAY = "gateway-service";
    static final String CONTROLLER = "placement-controller";

    private static final String REGISTRY_BASE = "eclipse-temurin:25-jre";
    private static final String LOCAL_BASE = "moemesh/jre:25";
    private static final Map<String, String> BUILT = new ConcurrentHashMap<>();

    private MeshImages() {
    }

    /** The image of {@code module}, built on first use. */
    static String of(String module) {
        return BUILT.computeIfAbsent(module, MeshImages::build);
    }

    private static String build(String module) {
        Path dir = home().resolve(module);
        Path jar = dir.resolve("target").resolve(module + "-exec.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: package the services first (./mvnw verify builds"
                    + " them before e2e-tests; alone: ./mvnw -pl e2e-tests -am verify)");
        }
        String base = baseImage();
        String tag = "moemesh/" + module + ":e2e";
        long start = System.nanoTime();
        // deleteOnExit false: the next run reuses the layers that did not change
        String image = new ImageFromDockerfile(tag, false)
                .withFileFromPath("Dockerfile", dir.resolve("Dockerfile"))
                .withFileFromPath("target/" + module + "-exec.jar", jar)
                .withBuildArg("BASE_IMAGE", base)
                .withBuildArg("VERSION", "e2e")
                .get();
        System.err.printf("[e2e] built %s on %s in %.1f s%n", image, base, (System.nanoTime() - start) / 1e9);
        return image;
    }

    static String baseImage() {
        String configured = System.getProperty("moemesh.e2e.base-image", System.getenv("MOEMESH_E2E_BASE_IMAGE"));
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        if (present(REGISTRY_BASE)) {
            return REGISTRY_BASE;
        }
        return present(LOCAL_BASE) ? LOCAL_BASE : REGISTRY_BASE;
    }

    private static boolean present(String image) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    static Path home() {
        return Path.of(System.getProperty("moemesh.home", "..")).toAbsolutePath().normalize();
    }
}
