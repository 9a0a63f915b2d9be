package io.moemesh.cli.local;

import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * The experts one local expert process hosts, each for every layer: {@code first} to {@code last},
 * both included. One expert per group is the default and the Kubernetes shape; {@code moe up
 * --experts-per-process} packs several into one process to measure with fewer JVMs on few cores.
 */
public record ExpertGroup(int first, int last) {

    public ExpertGroup {
        if (first < 0 || last < first) {
            throw new IllegalArgumentException("an expert group needs 0 <= first <= last, got " + first + ".." + last);
        }
    }

    /** The group of one expert: its own service. */
    public static ExpertGroup of(int expert) {
        return new ExpertGroup(expert, expert);
    }

    /**
     * Experts {@code 0..numExperts-1} in groups of {@code perProcess}: group k holds
     * {@code [k * perProcess, min(numExperts, (k + 1) * perProcess))}; the last may be smaller.
     */
    public static List<ExpertGroup> split(int numExperts, int perProcess) {
        if (perProcess < 1 || perProcess > numExperts) {
            throw new IllegalArgumentException("experts per process must be 1.." + numExperts
                    + " (the model has " + numExperts + " experts), got " + perProcess);
        }
        return IntStream.range(0, processes(numExperts, perProcess))
                .mapToObj(k -> new ExpertGroup(k * perProcess, Math.min(numExperts, (k + 1) * perProcess) - 1))
                .toList();
    }

    /**
     * The expert processes of one replica of a local cluster, after checking what a packed layout
     * cannot do: a plan's partner units and the placement controller are per expert service (the
     * controller leaves an endpoint hosting several base experts alone, and would plan the rest as if
     * every expert had its own service).
     *
     * @param partnerServices the expert services a placement plan gives partner units to
     * @param withController  whether a placement controller runs beside the cluster
     */
    static List<ExpertGroup> forCluster(int numExperts, int expertsPerProcess, Set<Integer> partnerServices,
            boolean withController) {
        List<ExpertGroup> groups = split(numExperts, expertsPerProcess);
        partnerServices.stream().filter(e -> e < 0 || e >= numExperts).findFirst().ifPresent(e -> {
            throw new IllegalArgumentException("the plan gives partner units to service " + e + " but the model has "
                    + numExperts + " expert services (0.." + (numExperts - 1) + ")");
        });
        if (expertsPerProcess > 1 && !partnerServices.isEmpty()) {
            throw new IllegalArgumentException("a placement plan gives partner units to expert services, one per "
                    + "expert; with " + expertsPerProcess + " experts per process there are none: "
                    + "drop --plan or use --experts-per-process 1");
        }
        if (expertsPerProcess > 1 && withController) {
            throw new IllegalArgumentException("the placement controller re-places partner units on services that "
                    + "host one expert each; with " + expertsPerProcess + " experts per process it has "
                    + "nothing to place: add --placement off, or use --experts-per-process 1");
        }
        return groups;
    }

    /** How many processes {@link #split} makes: ceil(numExperts / perProcess). */
    public static int processes(int numExperts, int perProcess) {
        return (numExperts + perProcess - 1) / perProcess;
    }

    public List<Integer> experts() {
        return IntStream.rangeClosed(first, last).boxed().toList();
    }

    public int size() {
        return last - first + 1;
    }

    /** {@code expert-3} for one expert (as ever), {@code experts-0-3} for several; {@code -r1} for replica 1. */
    public String processName(int replica) {
        String base = size() == 1 ? "expert-" + first : "experts-" + first + "-" + last;
        return base + (replica == 0 ? "" : "-r" + replica);
    }

    /**
     * Forward-pass threads of the process: one per hosted expert, at most one per core. One expert per
     * process keeps today's single worker (16 processes already oversubscribe two cores); a packed
     * process may run as many units at once as the machine has cores, so that packing bounds the
     * compute threads (ceil(E/N) x min(N, cores) &lt;= about E) without leaving a core idle.
     */
    public int workers(int cores) {
        return Math.max(1, Math.min(size(), cores));
    }
}
