package io.moemesh.placement.leadership;

import java.util.Optional;

/**
 * Whether this controller replica may act. Only the leader plans and writes; the others stand by,
 * so two replicas never apply two plans at once.
 */
public interface Leadership {

    boolean isLeader();

    /** The identity of the replica that leads, as last observed; empty before one was seen. */
    Optional<String> leader();

    /** Local mode: one controller, always the leader. */
    static Leadership always(String identity) {
        return new Leadership() {
            @Override
            public boolean isLeader() {
                return true;
            }

            @Override
            public Optional<String> leader() {
                return Optional.of(identity);
            }
        };
    }
}
