package io.moemesh.placement.local;

import io.moemesh.core.local.ExpertPidFile;
import io.moemesh.core.placement.Unit;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.round.EndpointView;
import io.moemesh.placement.round.ExpertPort;
import io.moemesh.placement.round.RouterPort;
import io.moemesh.placement.round.Traffic;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A local mesh in memory: one router that lists what the endpoints file lists (when it follows the
 * file), expert endpoints, pid files and the endpoints file, with one log of every change in order,
 * and a list of make-before-break violations seen when they would happen (a process stopped while
 * the router lists it; a pruned set shrunk while the router lists no endpoint of a restored expert).
 */
final class LocalMesh implements RouterPort, ExpertPort, ProcessPort, EndpointList {

    final List<String> log = new ArrayList<>();
    final List<String> violations = new ArrayList<>();
    final Map<String, EndpointView> endpoints = new LinkedHashMap<>();
    final Map<String, ExpertPidFile> pidFiles = new LinkedHashMap<>();
    final List<String> file = new ArrayList<>();
    final List<String> routerView = new ArrayList<>();
    SortedSet<Unit> pruned = new TreeSet<>();
    /** The router polls the file; false = it is stuck on its last view (every wait for it times out). */
    boolean routerFollows = true;
    final Set<Integer> neverServes = new HashSet<>();
    boolean failSetPruned;
    RoutingStats stats;
    private final int layers;
    private int nextPort = 100;

    LocalMesh(int layers, int experts) {
        this.layers = layers;
        for (int e = 0; e < experts; e++) {
            ExpertPidFile p = launch(e);
            file.add(p.target());
            routerView.add(p.target());
        }
        log.clear();
    }

    /** Statistics of one window: {@code perExpert[e]} token-slots chose expert e on every layer, top-2. */
    static RoutingStats stats(int layers, long... perExpert) {
        RoutingStats s = RoutingStats.empty(layers, perExpert.length, Instant.EPOCH, Instant.EPOCH.plusSeconds(60));
        for (int l = 0; l < layers; l++) {
            long slots = 0;
            for (int e = 0; e < perExpert.length; e++) {
                s.expertTokens()[l][e] = perExpert[e];
                slots += perExpert[e];
            }
            s.tokens()[l] = slots / 2;
        }
        return s;
    }

    private ExpertPidFile launch(int expert) {
        int port = nextPort++;
        ExpertPidFile p = new ExpertPidFile("expert-" + expert + "-p" + port, port, "e" + expert + ":" + port, expert);
        SortedSet<Unit> base = new TreeSet<>();
        for (int l = 0; l < layers; l++) {
            base.add(new Unit(l, expert));
        }
        endpoints.put(p.target(), new EndpointView(p.target(), OptionalInt.of(expert), base, new TreeSet<>(),
                new TreeSet<>(), 64));
        pidFiles.put(p.name(), p);
        return p;
    }

    List<ExpertPidFile> processesOf(int expert) {
        return pidFiles.values().stream().filter(p -> p.expert() == expert).toList();
    }

    // ProcessPort

    @Override
    public List<ExpertPidFile> list() {
        return List.copyOf(pidFiles.values());
    }

    /** Processes that died: their pid files are still there until reaped. */
    final List<ExpertPidFile> crashed = new ArrayList<>();

    void crash(ExpertPidFile p) {
        pidFiles.remove(p.name());
        endpoints.remove(p.target());
        crashed.add(p);
    }

    @Override
    public List<ExpertPidFile> reapGone() {
        List<ExpertPidFile> gone = List.copyOf(crashed);
        crashed.clear();
        return gone;
    }

    @Override
    public ExpertPidFile start(int expert) {
        if (neverServes.contains(expert)) {
            log.add("start failed " + expert);
            throw new LocalProcessException("expert " + expert + " process did not report SERVING within 90s");
        }
        ExpertPidFile p = launch(expert);
        log.add("start " + p.name());
        return p;
    }

    @Override
    public void stop(ExpertPidFile p) {
        log.add("stop " + p.name());
        if (routerView.contains(p.target())) {
            violations.add("stopped " + p.name() + " while the router lists it");
        }
        pidFiles.remove(p.name());
        endpoints.remove(p.target());
    }

    // EndpointList

    @Override
    public List<String> targets() {
        return List.copyOf(file);
    }

    @Override
    public void replace(List<String> targets) {
        targets.stream().filter(t -> !file.contains(t)).forEach(t -> log.add("list " + t));
        file.stream().filter(t -> !targets.contains(t)).forEach(t -> log.add("unlist " + t));
        file.clear();
        file.addAll(targets);
    }

    // RouterPort

    @Override
    public String name() {
        return "router:1";
    }

    @Override
    public Reading read() {
        return new Reading(stats, Traffic.NONE);
    }

    @Override
    public List<EndpointView> endpoints() {
        if (routerFollows) {
            routerView.clear();
            file.stream().filter(endpoints::containsKey).forEach(routerView::add);
        }
        return routerView.stream().filter(endpoints::containsKey).map(endpoints::get).toList();
    }

    @Override
    public List<EndpointView> refresh() {
        return endpoints();
    }

    @Override
    public SortedSet<Unit> pruned() {
        return new TreeSet<>(pruned);
    }

    @Override
    public SortedSet<Unit> setPruned(SortedSet<Unit> units, String reason) {
        if (failSetPruned) {
            log.add("prune failed");
            throw new IllegalStateException("router router:1 SetPrunedExperts: DEADLINE_EXCEEDED");
        }
        SortedSet<Integer> experts = new TreeSet<>();
        units.forEach(u -> experts.add(u.expert()));
        for (Unit u : pruned) {
            boolean listed = routerView.stream().map(endpoints::get)
                    .anyMatch(v -> v != null && v.service().getAsInt() == u.expert());
            if (!units.contains(u) && !listed) {
                violations.add("restored expert " + u.expert() + " before the router listed a process of it");
            }
        }
        log.add("prune " + experts);
        pruned = new TreeSet<>(units);
        return pruned();
    }

    // ExpertPort

    @Override
    public EndpointView describe(String target) {
        return endpoints.get(target);
    }

    @Override
    public EndpointView setPartners(String target, SortedSet<Unit> partners) {
        log.add("partners " + target + " " + partners);
        EndpointView v = endpoints.get(target);
        EndpointView next = new EndpointView(target, v.service(), v.base(), partners, new TreeSet<>(), v.hiddenSize());
        endpoints.put(target, next);
        return next;
    }

    @Override
    public EndpointView releaseRetired(String target) {
        return endpoints.get(target);
    }
}
