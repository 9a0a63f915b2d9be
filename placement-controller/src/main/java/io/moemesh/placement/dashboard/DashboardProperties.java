package io.moemesh.placement.dashboard;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code moemesh.controller.dashboard.*}: the live dashboard on the controller's HTTP port.
 *
 * @param enabled      serve {@code /dashboard} and poll the routers for it
 * @param refresh      how often the feed reads every router, and how often the page asks for the state
 * @param readTimeout  deadline of one dashboard read of a router (GetRoutingStats); routers are read one
 *                     after the other, so a poll takes at most routers x this
 * @param history      tokens/s points kept for the sparkline
 * @param stuckPeriods refresh periods without a completed poll (beyond the longest a poll may take)
 *                     after which the feed's health is DOWN
 */
@ConfigurationProperties("moemesh.controller.dashboard")
public record DashboardProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("2s") Duration refresh,
        @DefaultValue("5s") Duration readTimeout,
        @DefaultValue("150") int history,
        @DefaultValue("5") int stuckPeriods) {

    public DashboardProperties {
        if (!refresh.isPositive() || !readTimeout.isPositive()) {
            throw new IllegalArgumentException("moemesh.controller.dashboard.refresh and read-timeout must be > 0, got "
                    + refresh + " and " + readTimeout);
        }
        if (history < 2 || history > 10_000 || stuckPeriods < 2) {
            throw new IllegalArgumentException("moemesh.controller.dashboard.history must be 2..10000 and"
                    + " stuck-periods >= 2, got " + history + " and " + stuckPeriods);
        }
    }

    /** How long without a completed poll means the feed is stuck: a poll's longest run plus the grace periods. */
    Duration stuckAfter(int routers) {
        return readTimeout.multipliedBy(routers).plus(refresh.multipliedBy(stuckPeriods));
    }
}
