package io.moemesh.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock that stands still until the test moves it: what waits on time (a breaker's open state, a
 * rollout's deadline, a window's buckets) passes when the test says so, not when the machine does.
 */
public final class ManualClock extends Clock {

    private volatile Instant now;

    public ManualClock() {
        this(Instant.parse("2026-12-01T12:00:00Z"));
    }

    public ManualClock(Instant start) {
        this.now = start;
    }

    public void advance(Duration d) {
        now = now.plus(d);
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
