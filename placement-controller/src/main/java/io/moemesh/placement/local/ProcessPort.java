package io.moemesh.placement.local;

import io.moemesh.core.local.ExpertPidFile;
import java.util.List;

/**
 * The expert-service processes of the local mesh ({@code moe up}): which exist, starting one, and
 * stopping one. The state directory's pid files are the level-based truth of which exist, so a
 * controller restarted between two steps finds what the previous one started.
 */
public interface ProcessPort {

    /**
     * The live expert processes, one per pid file; a pid file that does not name a target and an
     * expert is skipped.
     */
    List<ExpertPidFile> list();

    /**
     * The processes whose pid file outlived them (they exited or were killed): their pid files are
     * deleted and they are returned, so their endpoints can be taken off the routers' list.
     */
    List<ExpertPidFile> reapGone();

    /**
     * Starts a process serving {@code expert} and returns once its gRPC health says SERVING, with
     * its pid file written.
     *
     * @throws LocalProcessException when it exits or does not serve within the start timeout (it is
     *                               then stopped and leaves no pid file)
     */
    ExpertPidFile start(int expert);

    /** Stops the process (SIGTERM, then SIGKILL after the grace) and deletes its pid file. */
    void stop(ExpertPidFile process);
}
