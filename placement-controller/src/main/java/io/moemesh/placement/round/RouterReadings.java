package io.moemesh.placement.round;

import java.util.ArrayList;
import java.util.List;

/**
 * One round's reading of every router it found: the statistics and endpoints of each router that
 * answered, and for each one that did not (or a name that did not resolve) why. A router that fails
 * is never dropped from the sum silently: {@link #note()} names it in the round's decision.
 */
record RouterReadings(List<RouterPort> answered, List<RouterPort.Reading> readings,
        List<List<EndpointView>> endpoints, List<String> missing, List<String> names) {

    static RouterReadings read(RouterSource source) {
        RouterSource.Routers found = source.routers();
        List<RouterPort> answered = new ArrayList<>();
        List<RouterPort.Reading> readings = new ArrayList<>();
        List<List<EndpointView>> endpoints = new ArrayList<>();
        List<String> missing = new ArrayList<>(found.problems());
        for (RouterPort r : found.routers()) {
            try {
                RouterPort.Reading reading = r.read();
                List<EndpointView> views = r.endpoints();
                answered.add(r);
                readings.add(reading);
                endpoints.add(views);
            } catch (RuntimeException e) {
                String why = String.valueOf(e.getMessage()); // RouterClient's messages name the router already
                missing.add(why.contains(r.name()) ? why : "router " + r.name() + ": " + why);
            }
        }
        return new RouterReadings(answered, readings, endpoints, missing,
                found.routers().stream().map(RouterPort::name).toList());
    }

    boolean complete() {
        return missing.isEmpty();
    }

    /** What could not be read, joined for a message. */
    String failures() {
        return String.join("; ", missing);
    }

    /** "" when every router answered; otherwise a prefix for the decision naming what was left out. */
    String note() {
        return complete() ? "" : "planned from " + answered.size() + " of " + names.size() + " routers (not read: "
                + failures() + "); ";
    }
}
