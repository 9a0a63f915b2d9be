package io.moemesh.placement.local;

import java.util.List;

/**
 * The list of expert endpoints the routers discover (in local mode the file {@code moe up} writes
 * and the routers poll, {@code moemesh.router.discovery=file}). Level-based: a write replaces the
 * whole list.
 */
public interface EndpointList {

    /** The targets listed now ({@code host:port}), in file order. */
    List<String> targets();

    /** Replaces the list. */
    void replace(List<String> targets);
}
