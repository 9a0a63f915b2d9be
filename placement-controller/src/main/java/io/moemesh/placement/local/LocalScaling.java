package io.moemesh.placement.local;

import io.moemesh.core.local.ExpertPidFile;
import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.PruningSettings;
import io.moemesh.core.placement.ReplicaBudget;
import io.moemesh.core.placement.Unit;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.round.EndpointView;
import io.moemesh.placement.round.ExpertPort;
import io.moemesh.placement.round.RouterPort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local-mode step of a planning round ({@code moe up}, one expert per process): prunes cold
 * experts and restores wanted ones, and starts and stops replicas of the expert services within a
 * process budget. Everything is make-before-break with the routers:
 * <ul>
 *   <li>restore: a process for the expert is serving and listed by every router before the routers'
 *       pruned set shrinks;</li>
 *   <li>prune: every router installs the larger pruned set (and drains the steps that started
 *       before) before any of the expert's processes leaves the endpoints file and stops;</li>
 *   <li>replicas: see {@link ReplicaMoves}.</li>
 * </ul>
 * Level-based: the processes are read from the pid files and the pruned set from the routers every
 * round; a step that failed or timed out is a warning in the decision and the next round converges
 * from what exists. Not thread-safe: one round at a time.
 */
public final class LocalScaling {

    private static final Logger LOG = LoggerFactory.getLogger(LocalScaling.class);

    /**
     * @param pruning            prune cold experts (off: restore any pruned one)
     * @param pruningSettings    the policy's thresholds and budget
     * @param maxExpertProcesses expert processes in all; 0 = start no replicas
     * @param listTimeout        how long to wait for every router to list (or drop) an endpoint
     * @param poll               how often to ask the routers meanwhile
     */
    public record Settings(boolean pruning, PruningSettings pruningSettings, int maxExpertProcesses,
            Duration listTimeout, Duration poll) {

        public Settings {
            if (maxExpertProcesses < 0 || !listTimeout.isPositive() || !poll.isPositive()) {
                throw new IllegalArgumentException("need max expert processes >= 0 and positive list timeout and"
                        + " poll, got " + maxExpertProcesses + ", " + listTimeout + ", " + poll);
            }
        }
    }

    private final List<RouterPort> routers;
    private final ProcessPort processes;
    private final Settings settings;
    private final EndpointList endpoints;
    private final ReplicaMoves moves;

    public LocalScaling(List<RouterPort> routers, ExpertPort experts, ProcessPort processes, EndpointList endpoints,
            Settings settings) {
        this.routers = List.copyOf(routers);
        this.processes = processes;
        this.settings = settings;
        this.moves = new ReplicaMoves(this.routers, experts, processes, endpoints, settings.listTimeout(),
                settings.poll());
        this.endpoints = endpoints;
    }

    public Settings settings() {
        return settings;
    }

    /**
     * One step on the round's window.
     *
     * @param plan   the placement the round plans toward (its replica targets), or the live one
     * @param dryRun plan and report, change nothing
     */
    public LocalReport apply(RoutingStats stats, PlacementPlan plan, boolean dryRun) {
        int experts = stats.numExperts();
        Notes notes = new Notes();
        List<ExpertPidFile> procs;
        List<SortedSet<Unit>> routerSets = new ArrayList<>();
        List<EndpointView> views;
        try {
            if (!dryRun) {
                unlistGone(notes);
            }
            procs = processes.list();
            for (RouterPort r : routers) {
                routerSets.add(r.pruned());
            }
            views = routers.getFirst().endpoints();
        } catch (RuntimeException e) {
            LOG.warn("local step skipped: {}", e.getMessage());
            return new LocalReport(new TreeSet<>(), "", 0, settings.pruningSettings().qualityBudget(), new double[0],
                    new int[experts], new int[experts], settings.maxExpertProcesses(),
                    "local step skipped: " + e.getMessage());
        }
        PruningTarget pruning = PruningTarget.of(stats, routerSets, views, settings);
        pruning.refused().forEach((e, why) -> notes.add("did not prune expert " + e + ": " + why));
        SortedSet<Integer> prunedNow = pruning.now();
        SortedSet<Integer> target = pruning.target();

        int[] desired = desired(stats, plan, target, procs);
        if (dryRun) {
            return report(target, pruning, stats, procs, desired,
                    "dry run: " + wouldDo(prunedNow, target, count(procs, experts), desired));
        }
        SortedSet<Integer> installed = converge(stats, prunedNow, target, routerSets, procs, views, notes);
        List<ExpertPidFile> now = listQuietly(procs, notes);
        replicate(installed, desired, now, views, notes);
        return report(installed, pruning, stats, listQuietly(now, notes), desired, notes.text());
    }

    /**
     * Restores (start, list, then shrink the routers' set), prunes (grow the routers' set, then remove
     * the processes); returns the pruned set every router holds afterwards (the previous one when a
     * router refused the new one).
     */
    private SortedSet<Integer> converge(RoutingStats stats, SortedSet<Integer> prunedNow, SortedSet<Integer> target,
            List<SortedSet<Unit>> routerSets, List<ExpertPidFile> procs, List<EndpointView> views, Notes notes) {
        for (int e : prunedNow) {
            if (!target.contains(e) && !restore(e, procs, views, notes)) {
                target.add(e); // stays pruned until a process of it serves and every router lists it
            }
        }
        SortedSet<Unit> units = units(target, stats.numLayers());
        boolean agreed = true;
        String reason = "placement controller: pruned experts " + target + " (routing share below the threshold)";
        for (int i = 0; i < routers.size(); i++) {
            if (routerSets.get(i).equals(units)) {
                continue;
            }
            try {
                routers.get(i).setPruned(units, target.isEmpty() ? "" : reason);
            } catch (RuntimeException e) {
                agreed = false;
                notes.add("router " + routers.get(i).name() + " did not take the pruned set " + target + ": "
                        + e.getMessage() + "; no process stopped");
            }
        }
        if (!target.equals(prunedNow)) {
            notes.add("pruned set " + prunedNow + " -> " + target);
        }
        if (!agreed) {
            return prunedNow;
        }
        for (ExpertPidFile p : procs) {
            if (target.contains(p.expert())) {
                remove(p, notes);
            }
        }
        return target;
    }

    private boolean restore(int expert, List<ExpertPidFile> procs, List<EndpointView> views, Notes notes) {
        List<ExpertPidFile> existing = procs.stream().filter(p -> p.expert() == expert).toList();
        try {
            boolean listed = existing.isEmpty()
                    ? moves.add(expert, partnersOf(expert, views)).listed()
                    : moves.list(existing.getFirst());
            if (!listed) {
                notes.add("restoring expert " + expert + ": not every router lists its process yet, it stays pruned");
            }
            return listed;
        } catch (RuntimeException e) {
            notes.add("could not restore expert " + expert + ": " + e.getMessage());
            return false;
        }
    }

    /** Takes the endpoints of processes that are gone off the endpoints file (routers stop calling them). */
    private void unlistGone(Notes notes) {
        List<ExpertPidFile> gone = processes.reapGone();
        if (gone.isEmpty()) {
            return;
        }
        List<String> live = processes.list().stream().map(ExpertPidFile::target).toList();
        List<String> listed = new ArrayList<>(endpoints.targets());
        for (ExpertPidFile p : gone) {
            boolean unlisted = !live.contains(p.target()) && listed.remove(p.target());
            notes.add("expert process " + p.name() + " (expert " + p.expert() + ") is gone"
                    + (unlisted ? "; took " + p.target() + " off the endpoints file" : ""));
        }
        endpoints.replace(listed);
    }

    /** Adds and removes replicas of every unpruned service toward its target; re-lists kept processes. */
    private void replicate(SortedSet<Integer> pruned, int[] desired, List<ExpertPidFile> procs,
            List<EndpointView> views, Notes notes) {
        List<String> listed = endpoints.targets();
        for (int s = 0; s < desired.length; s++) {
            if (pruned.contains(s)) {
                continue;
            }
            int service = s;
            List<ExpertPidFile> mine = new ArrayList<>(procs.stream().filter(p -> p.expert() == service).toList());
            // unlisted first (a removal that timed out), then the newest name
            mine.sort(Comparator.comparing((ExpertPidFile p) -> listed.contains(p.target()))
                    .thenComparing(ExpertPidFile::name, Comparator.reverseOrder()));
            int keep = Math.max(1, desired[s]);
            if (settings.maxExpertProcesses() > 0) {
                for (int i = 0; i < mine.size() - keep; i++) {
                    remove(mine.get(i), notes);
                }
                for (int i = mine.size(); i < desired[s]; i++) {
                    if (!add(s, views, notes)) {
                        break;
                    }
                }
            }
            for (ExpertPidFile p : mine.subList(Math.max(0, mine.size() - keep), mine.size())) {
                if (!listed.contains(p.target()) && !moves.list(p)) {
                    notes.add("re-listed " + p.name() + " but not every router lists it yet");
                }
            }
        }
    }

    private boolean add(int expert, List<EndpointView> views, Notes notes) {
        try {
            ReplicaMoves.Added added = moves.add(expert, partnersOf(expert, views));
            notes.add("started " + added.process().name() + " for expert " + expert
                    + (added.listed() ? "" : " (not every router lists it yet)"));
            return true;
        } catch (RuntimeException e) {
            notes.add("could not start a replica of expert " + expert + ": " + e.getMessage());
            return false;
        }
    }

    private void remove(ExpertPidFile p, Notes notes) {
        try {
            notes.add(moves.remove(p) ? "stopped " + p.name() + " (expert " + p.expert() + ")"
                    : "a router still lists " + p.target() + " after " + settings.listTimeout() + "; "
                            + p.name() + " keeps running until it drains");
        } catch (RuntimeException e) {
            notes.add("could not remove " + p.name() + ": " + e.getMessage());
        }
    }

    /** Per service, the processes to converge to: the budget's allocation, or what runs (no budget). */
    private int[] desired(RoutingStats stats, PlacementPlan plan, SortedSet<Integer> pruned,
            List<ExpertPidFile> procs) {
        int experts = stats.numExperts();
        if (settings.maxExpertProcesses() == 0) {
            int[] running = count(procs, experts);
            for (int s = 0; s < experts; s++) {
                running[s] = pruned.contains(s) ? 0 : Math.max(1, running[s]);
            }
            return running;
        }
        double[] load = new double[experts];
        int[] targets = new int[experts];
        for (int s = 0; s < experts; s++) {
            for (long[] layer : stats.expertTokens()) {
                load[s] += layer[s];
            }
            targets[s] = plan == null || s >= plan.replicas().size() ? 1 : plan.replicas().get(s);
        }
        return ReplicaBudget.allocate(load, targets, pruned, settings.maxExpertProcesses());
    }

    /** The partner units a new process of the service gets: those an existing replica of it hosts. */
    private static SortedSet<Unit> partnersOf(int expert, List<EndpointView> views) {
        return views.stream().filter(v -> v.service().isPresent() && v.service().getAsInt() == expert)
                .map(EndpointView::partners).findFirst().orElseGet(TreeSet::new);
    }

    private LocalReport report(SortedSet<Integer> pruned, PruningTarget pruning, RoutingStats stats,
            List<ExpertPidFile> procs, int[] desired, String decision) {
        double rerouted = 0;
        double[] shares = pruning.shares();
        for (int e : pruned) {
            rerouted += e < shares.length ? shares[e] : 0;
        }
        return new LocalReport(pruned, pruning.decision(), rerouted, settings.pruningSettings().qualityBudget(), shares,
                count(procs, stats.numExperts()), desired, settings.maxExpertProcesses(), decision);
    }

    private List<ExpertPidFile> listQuietly(List<ExpertPidFile> fallback, Notes notes) {
        try {
            return processes.list();
        } catch (RuntimeException e) {
            notes.add("could not list the expert processes: " + e.getMessage());
            return fallback;
        }
    }

    private static String wouldDo(SortedSet<Integer> prunedNow, SortedSet<Integer> target, int[] running,
            int[] desired) {
        List<String> parts = new ArrayList<>();
        if (!target.equals(prunedNow)) {
            parts.add("would set the pruned experts " + prunedNow + " -> " + target);
        }
        for (int s = 0; s < desired.length; s++) {
            if (running[s] != desired[s]) {
                parts.add("expert " + s + " " + running[s] + " -> " + desired[s] + " processes");
            }
        }
        return parts.isEmpty() ? "nothing to change" : String.join("; ", parts);
    }

    static int[] count(List<ExpertPidFile> procs, int experts) {
        int[] n = new int[experts];
        procs.stream().filter(p -> p.expert() < experts).forEach(p -> n[p.expert()]++);
        return n;
    }

    /** Every MoE layer's unit of each expert: pruning is of whole experts. */
    static SortedSet<Unit> units(SortedSet<Integer> experts, int layers) {
        SortedSet<Unit> units = new TreeSet<>();
        for (int e : experts) {
            for (int l = 0; l < layers; l++) {
                units.add(new Unit(l, e));
            }
        }
        return units;
    }

    /** Warnings and actions of one step, logged as they happen, joined for the decision. */
    private static final class Notes {
        private final List<String> items = new ArrayList<>();

        void add(String note) {
            LOG.info(note);
            items.add(note);
        }

        String text() {
            return String.join("; ", items);
        }
    }
}
