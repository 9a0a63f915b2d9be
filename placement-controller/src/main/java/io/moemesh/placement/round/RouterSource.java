package io.moemesh.placement.round;

import java.util.List;

/**
 * The routers a planning round reads. Configured addresses are fixed; on Kubernetes the chart names
 * the routers' headless Service, and every round reads every router pod its name resolves to then
 * (the sum of their statistics is the deployment's traffic; one router's window is only its share).
 */
@FunctionalInterface
public interface RouterSource {

    /**
     * The routers as found now.
     *
     * @param routers  the routers to read, at least one unless {@code problems} says why not
     * @param problems what could not be looked up (a name that did not resolve), for the round's decision
     */
    record Routers(List<RouterPort> routers, List<String> problems) {

        public Routers {
            routers = List.copyOf(routers);
            problems = List.copyOf(problems);
        }
    }

    Routers routers();

    /** Always the same routers (local mode, tests). */
    static RouterSource fixed(List<? extends RouterPort> routers) {
        if (routers.isEmpty()) {
            throw new IllegalArgumentException("the controller needs at least one router to read statistics from");
        }
        Routers found = new Routers(List.copyOf(routers), List.of());
        return () -> found;
    }
}
