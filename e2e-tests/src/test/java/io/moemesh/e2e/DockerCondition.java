package io.moemesh.e2e;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/** {@link RequiresDocker}: skip (or, when required, fail) without a Docker engine. */
final class DockerCondition implements ExecutionCondition {

    static final String HOW_TO_RUN = "the end-to-end tests need a Docker engine: start one (Debian: apt-get install"
            + " docker.io, then dockerd as root) and run ./mvnw verify again, or run .ci/run, which installs and starts"
            + " Docker and requires these tests (docs/e2e.md)";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (context.getTestMethod().isPresent()) {
            return ConditionEvaluationResult.enabled("decided for the class");
        }
        if (DockerClientFactory.instance().isDockerAvailable()) {
            return ConditionEvaluationResult.enabled("a Docker engine answers");
        }
        if (required()) {
            throw new ExtensionConfigurationException("no Docker engine answers, and end-to-end tests are required"
                    + " (moemesh.e2e.required / MOEMESH_E2E_REQUIRED): " + HOW_TO_RUN);
        }
        String reason = "SKIPPED " + context.getDisplayName() + ": no Docker engine answers; " + HOW_TO_RUN;
        System.err.println("[e2e] " + reason);
        return ConditionEvaluationResult.disabled(reason);
    }

    static boolean required() {
        return Boolean.parseBoolean(System.getProperty("moemesh.e2e.required", "false"))
                || Boolean.parseBoolean(System.getenv().getOrDefault("MOEMESH_E2E_REQUIRED", "false"));
    }
}
