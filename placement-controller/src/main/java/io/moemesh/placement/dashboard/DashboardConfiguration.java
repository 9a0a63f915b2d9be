package io.moemesh.placement.dashboard;

import io.moemesh.placement.PlacementLoop;
import io.moemesh.placement.grpc.RouterDirectory;
import io.moemesh.placement.round.RouterPort;
import java.time.Clock;
import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The dashboard: its feed over the routers (with the dashboard's own read deadline) and the feed's health. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(DashboardProperties.class)
@ConditionalOnBooleanProperty(name = "moemesh.controller.dashboard.enabled", matchIfMissing = true)
class DashboardConfiguration {

    @Bean
    DashboardFeed dashboardFeed(RouterDirectory routers, PlacementLoop loop, DashboardProperties properties) {
        return new DashboardFeed(() -> routers.clients().stream()
                .map(r -> (RouterPort) r.withDeadline(properties.readTimeout())).toList(),
                loop::state, properties, Clock.systemUTC());
    }

    /** Shown as {@code dashboardFeed} under /actuator/health. */
    @Bean
    DashboardHealth dashboardFeedHealthIndicator(DashboardFeed feed, DashboardProperties properties) {
        return new DashboardHealth(feed, properties, Clock.systemUTC());
    }
}
