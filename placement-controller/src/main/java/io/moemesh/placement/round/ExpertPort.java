package io.moemesh.placement.round;

import io.moemesh.core.placement.Unit;
import java.util.SortedSet;

/** What the controller needs from an expert endpoint. */
public interface ExpertPort {

    /** What the endpoint hosts now, asked directly (routers' views of it may be stale). */
    EndpointView describe(String target);

    /** Host the base units plus exactly {@code partners}; partners dropped are retiring until released. */
    EndpointView setPartners(String target, SortedSet<Unit> partners);

    /** Stop computing the retiring units. */
    EndpointView releaseRetired(String target);
}
