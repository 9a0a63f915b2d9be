package io.moemesh.placement.local;

import io.moemesh.core.local.ExpertEndpointsFile;
import java.nio.file.Path;
import java.util.List;

/**
 * The list of expert endpoints the routers discover (in local mode the file {@code moe up} writes
 * and the routers poll, {@code moemesh.router.discovery=file}). Level-based: a write replaces the
 * whole list. An interface so that the controller's tests can keep the list in memory.
 */
public interface EndpointList {

    /** The targets listed now ({@code host:port}), in file order. */
    List<String> targets();

    /** Replaces the list. */
    void replace(List<String> targets);

    /**
     * The list in {@code file}, an {@link ExpertEndpointsFile}: no file yet is an empty list, and a
     * malformed line is an error (the routers would not read the list either).
     */
    static EndpointList file(Path file) {
        return new EndpointList() {
            @Override
            public List<String> targets() {
                return ExpertEndpointsFile.read(file);
            }

            @Override
            public void replace(List<String> targets) {
                ExpertEndpointsFile.write(file, targets);
            }
        };
    }
}
