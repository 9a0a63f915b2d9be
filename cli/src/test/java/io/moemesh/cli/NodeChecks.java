package io.moemesh.cli;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * What the process ITs that run Node.js programs (the {@code openai} client, the dashboard's browser
 * check) share: whether {@code node} runs, and skipping a test whose tools are missing unless an
 * environment variable (set by {@code .ci/run}) requires them, which fails it instead.
 */
final class NodeChecks {

    private NodeChecks() {
    }

    static boolean nodeRuns() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Returns when {@code missing} is null; otherwise skips the test, or fails it where the
     * environment variable {@code requiredBy} is {@code true}, saying what is missing and how to install it.
     */
    static void requireTools(String missing, String install, String requiredBy) {
        if (missing == null) {
            return;
        }
        String why = missing + ": " + install;
        if (Boolean.parseBoolean(System.getenv(requiredBy))) {
            fail(requiredBy + "=true but " + why);
        }
        assumeTrue(false, why);
    }
}
