package io.moemesh.placement.dashboard;

import io.moemesh.placement.round.RouterCounters;
import io.moemesh.placement.round.Traffic;
import java.time.Instant;

/** One router's cumulative counters at the time the feed read them. */
record Sample(Instant at, Traffic traffic, RouterCounters counters) {
}
