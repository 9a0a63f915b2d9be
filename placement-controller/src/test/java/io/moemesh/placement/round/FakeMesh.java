package io.moemesh.placement.round;

import io.moemesh.core.placement.Unit;
import io.moemesh.core.routing.RoutingStats;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One router and its expert endpoints in memory: the endpoints keep partner and retiring units as
 * the real service does; the router keeps its own view of them, updated only by a refresh (and not
 * for an endpoint whose Describe fails then), serves fixed statistics, and every call is logged.
 */
public final class FakeMesh implements RouterPort, ExpertPort {

    public final List<String> log = new ArrayList<>();
    /** What each endpoint really hosts. */
    final Map<String, EndpointView> endpoints = new LinkedHashMap<>();
    /** What the router last saw of each endpoint. */
    final Map<String, EndpointView> routerView = new LinkedHashMap<>();
    /** Endpoints whose Describe fails during the router's next refreshes. */
    final java.util.Set<String> describeFails = new java.util.HashSet<>();
    boolean failRelease;
    public RoutingStats stats;
    Traffic traffic = Traffic.NONE;
    /** The SetPartnerUnits call (1-based) that fails; 0 = none. */
    int failSetPartnersCall;
    private int setPartnersCalls;
    boolean failRefresh;

    public FakeMesh(int layers, int experts, int replicas) {
        for (int r = 0; r < replicas; r++) {
            for (int e = 0; e < experts; e++) {
                SortedSet<Unit> base = new TreeSet<>();
                for (int l = 0; l < layers; l++) {
                    base.add(new Unit(l, e));
                }
                String target = "expert-" + e + "-r" + r + ":1";
                endpoints.put(target, new EndpointView(target, OptionalInt.of(e), base, new TreeSet<>(),
                        new TreeSet<>(), 64));
                routerView.put(target, endpoints.get(target));
            }
        }
    }

    /** Statistics where tokens pick {@code hot} pairs {@code hotCount} times each and every other pair once. */
    public static RoutingStats stats(int layers, int experts, long hotCount, int[]... hot) {
        RoutingStats s = RoutingStats.empty(layers, experts, Instant.EPOCH, Instant.EPOCH.plusSeconds(60));
        for (int l = 0; l < layers; l++) {
            for (int i = 0; i < experts; i++) {
                for (int j = i + 1; j < experts; j++) {
                    long n = 1;
                    for (int[] p : hot) {
                        n = p[0] == i && p[1] == j ? hotCount : n;
                    }
                    s.coactivation()[l][i * experts + j] = n;
                    s.coactivation()[l][j * experts + i] = n;
                    s.expertTokens()[l][i] += n;
                    s.expertTokens()[l][j] += n;
                    s.tokens()[l] += n;
                }
            }
        }
        return s;
    }

    @Override
    public String name() {
        return "router:1";
    }

    @Override
    public Reading read() {
        return new Reading(stats, traffic);
    }

    @Override
    public List<EndpointView> endpoints() {
        return List.copyOf(routerView.values());
    }

    @Override
    public List<EndpointView> refresh() {
        log.add("refresh");
        if (failRefresh) {
            throw new IllegalStateException("router router:1 RefreshExpertEndpoints: UNAVAILABLE");
        }
        endpoints.forEach((target, v) -> {
            if (!describeFails.contains(target)) {
                routerView.put(target, v);
            }
        });
        return endpoints();
    }

    @Override
    public EndpointView describe(String target) {
        return endpoints.get(target);
    }

    @Override
    public EndpointView setPartners(String target, SortedSet<Unit> partners) {
        log.add("set " + target + " " + partners);
        if (++setPartnersCalls == failSetPartnersCall) {
            throw new IllegalStateException("expert endpoint " + target + " SetPartnerUnits: UNAVAILABLE");
        }
        EndpointView v = endpoints.get(target);
        SortedSet<Unit> retiring = new TreeSet<>(v.retiring());
        retiring.addAll(v.partners());
        retiring.removeAll(partners);
        EndpointView next = new EndpointView(target, v.service(), v.base(), partners, retiring, v.hiddenSize());
        endpoints.put(target, next);
        return next;
    }

    @Override
    public EndpointView releaseRetired(String target) {
        log.add("release " + target);
        if (failRelease) {
            throw new IllegalStateException("expert endpoint " + target + " ReleaseRetiredUnits: UNAVAILABLE");
        }
        EndpointView v = endpoints.get(target);
        EndpointView next = new EndpointView(target, v.service(), v.base(), v.partners(), new TreeSet<>(),
                v.hiddenSize());
        endpoints.put(target, next);
        return next;
    }

    SortedSet<Unit> partners(String target) {
        return endpoints.get(target).partners();
    }
}
