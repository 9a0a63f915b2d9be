package io.moemesh.router.discovery;

import org.slf4j.Logger;

/**
 * The failures in a row of a task that runs again and again (a discovery report, an endpoint
 * switch), logged so that a person reads the first cause with its stack trace, then only a count
 * and the message, then the recovery. One thread at a time.
 */
public final class FailureStreak {

    private final Logger log;
    private final String task;
    private int failures;

    /** @param task what failed, as a log line names it ("could not report the discovered expert endpoints") */
    public FailureStreak(Logger log, String task) {
        this.log = log;
        this.task = task;
    }

    /** Failures in a row so far. */
    public int inARow() {
        return failures;
    }

    /** Counts and logs one failure; {@code then} says what happens next. */
    public void failed(Throwable cause, String then) {
        failures++;
        if (failures == 1) {
            log.warn("{} ({} failure(s) in a row); {}", task, failures, then, cause);
        } else {
            log.warn("{} ({} failure(s) in a row); {}: {}", task, failures, then, cause.toString());
        }
    }

    /** The task worked: logs the recovery if it had been failing. */
    public void succeeded(String what) {
        if (failures > 0) {
            log.info("{} after {} failed attempt(s)", what, failures);
            failures = 0;
        }
    }
}
