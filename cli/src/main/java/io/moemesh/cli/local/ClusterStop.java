package io.moemesh.cli.local;

import static java.util.stream.Collectors.joining;

import io.moemesh.core.local.ExpertPidFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Stopping a local cluster whose expert processes are not all {@code moe up}'s: the placement
 * controller starts and stops replicas and pruned experts, and records them in pid files
 * ({@link ExpertPidFile}), so what runs is what {@code cluster.json} lists plus what the pid files list.
 */
final class ClusterStop {

    private ClusterStop() {
    }

    /**
     * Stops {@code recorded} and the processes of the pid files, the controller and its descendants
     * first ({@link LocalCluster#down}), and deletes the pid files.
     *
     * @return how many processes that ran it stopped, or were recorded as running
     */
    static int stopAll(Path stateDir, List<ServiceProcess> recorded, Duration grace) {
        List<ServiceProcess> controllers = recorded.stream().filter(p -> p.role().equals("controller")).toList();
        List<ProcessHandle> controllerTree = new ArrayList<>();
        for (ServiceProcess c : controllers) {
            ProcessHandle.of(c.pid()).ifPresent(h -> {
                controllerTree.add(h);
                h.descendants().forEach(controllerTree::add); // now: once it exits they are orphans, not its
            });
        }
        ServiceLauncher.stopHandles(controllerTree, grace);
        List<ExpertPidFile> pidFiles = ExpertPidFile.readAll(stateDir); // after the controller: it writes them
        Set<String> listed = new HashSet<>(pidFiles.stream().map(ServiceProcess::keyOf).toList());
        boolean managed = Files.isDirectory(ExpertPidFile.directory(stateDir));
        List<ServiceProcess> rest = new ArrayList<>(recorded);
        rest.removeAll(controllers);
        // an expert process the controller stopped (its pid file deleted) is gone: its pid may be another's now
        rest.removeIf(p -> managed && p.role().equals("expert") && !listed.contains(p.key()));
        Set<Long> known = new HashSet<>(rest.stream().map(ServiceProcess::pid).toList());
        int replicas = 0;
        for (ExpertPidFile f : pidFiles) {
            if (!known.contains(f.pid()) && f.liveProcess(stateDir).isPresent()) {
                // stop() goes in reverse: these first, as the controller's were
                rest.add(ServiceProcess.expert(f, stateDir));
                replicas++;
            }
        }
        ServiceLauncher.stop(rest, grace);
        pidFiles.forEach(f -> f.delete(stateDir));
        forgetPidDirectory(stateDir);
        return recorded.size() + replicas;
    }

    /**
     * Removes the (empty) pid-file directory, so that it says "this cluster's experts have pid files"
     * only for the cluster that wrote them: {@link #stopAll} skips a recorded expert without a pid file
     * when the directory exists (the controller stopped it), and a cluster of packed experts, which
     * writes none, must not inherit the directory of an earlier one (its experts would never be stopped).
     * A directory that is not empty (a pid file written meanwhile) stays.
     */
    static void forgetPidDirectory(Path stateDir) {
        try {
            Files.deleteIfExists(ExpertPidFile.directory(stateDir));
        } catch (DirectoryNotEmptyException e) {
            // a pid file appeared after the others were deleted: its process is listed next time
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + ExpertPidFile.directory(stateDir) + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Clears pid files a cluster that was not brought down cleanly left behind; refuses to start
     * while a process one names still runs (it holds a port, and the controller would count it).
     */
    static void removeStalePidFiles(Path stateDir) {
        List<ExpertPidFile> running = new ArrayList<>();
        for (ExpertPidFile f : ExpertPidFile.readAll(stateDir)) {
            if (f.liveProcess(stateDir).isPresent()) {
                running.add(f);
            } else {
                f.delete(stateDir);
            }
        }
        if (!running.isEmpty()) {
            throw new IllegalStateException("expert processes of an earlier local cluster still run ("
                    + running.stream().map(f -> f.name() + " pid " + f.pid()).collect(joining(", ")) + ", recorded in "
                    + ExpertPidFile.directory(stateDir) + "): stop them with kill " + running.stream()
                    .map(f -> String.valueOf(f.pid())).collect(joining(" ")) + ", then run `moe up` again");
        }
    }
}
