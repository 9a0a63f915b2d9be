package io.moemesh.placement.dashboard;

import java.time.Clock;
import java.time.Duration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * DOWN when the dashboard feed has not completed a poll for longer than a poll may take plus some
 * refresh periods (its thread is stuck, or every poll throws), with the reason. Failing routers do
 * not make it DOWN: the feed still completes its polls and shows them failing.
 */
final class DashboardHealth implements HealthIndicator {

    private final DashboardFeed feed;
    private final DashboardProperties properties;
    private final Clock clock;

    DashboardHealth(DashboardFeed feed, DashboardProperties properties, Clock clock) {
        this.feed = feed;
        this.properties = properties;
        this.clock = clock;
    }

    @Override
    public Health health() {
        Duration since = Duration.between(feed.lastProgress(), clock.instant());
        Duration stuckAfter = properties.stuckAfter(feed.routerCount()); // routers found at the latest poll
        long failing = feed.view().routers().stream().filter(r -> !r.ok()).count();
        if (since.compareTo(stuckAfter) > 0) {
            String failure = feed.lastFailure();
            return Health.down().withDetail("reason", "no dashboard poll completed for " + since.toSeconds()
                    + " s (limit " + stuckAfter.toSeconds() + " s)"
                    + (failure == null ? ": the feed's thread is stuck or stopped" : "; the last poll threw " + failure))
                    .build();
        }
        return Health.up().withDetail("lastPoll", feed.lastProgress().toString())
                .withDetail("routersFailing", failing).build();
    }
}
