package io.moemesh.e2e;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs the annotated class only where a Docker engine answers. Without one the class is skipped with
 * a message saying how to run it, unless end-to-end tests are required ({@code -Dmoemesh.e2e.required=true}
 * or {@code MOEMESH_E2E_REQUIRED=true}, as {@code .ci/run} sets it): then it fails.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(DockerCondition.class)
public @interface RequiresDocker {
}
