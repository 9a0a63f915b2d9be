package io.moemesh.placement.round;

import io.moemesh.core.placement.Unit;
import java.util.OptionalInt;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One expert endpoint as it describes itself: the service it is a replica of (empty when it was
 * configured with several base experts, and the controller leaves it alone), its base units,
 * the partner units a plan gave it, and partners it still computes until told to release them.
 */
public record EndpointView(String target, OptionalInt service, SortedSet<Unit> base, SortedSet<Unit> partners,
        SortedSet<Unit> retiring, int hiddenSize) {

    public EndpointView {
        base = new TreeSet<>(base);
        partners = new TreeSet<>(partners);
        retiring = new TreeSet<>(retiring);
    }

    /** Base and partner units: what routers send it. */
    public SortedSet<Unit> hosted() {
        SortedSet<Unit> all = new TreeSet<>(base);
        all.addAll(partners);
        return all;
    }
}
