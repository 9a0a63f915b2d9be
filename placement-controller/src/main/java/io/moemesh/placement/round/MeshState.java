package io.moemesh.placement.round;

import java.util.List;
import java.util.Map;

/**
 * What a round read of the mesh, for the applier: the routers that answered, each one's view of the
 * endpoints by target (replaced when the routers refresh), and the managed endpoints as they
 * describe themselves.
 */
public record MeshState(List<RouterPort> routers, List<Map<String, EndpointView>> views,
        List<EndpointView> endpoints) {
}
