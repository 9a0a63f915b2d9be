package io.moemesh.router.dispatch;

import java.util.Objects;

/** One replica of an expert service: a stable id and where to reach it ({@code host:port} or in-process name). */
public record ExpertEndpoint(String id, String target) {

    public ExpertEndpoint {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(target, "target");
    }
}
