package io.moemesh.expert.unit;

import io.moemesh.core.model.ExpertWeights;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which units an endpoint hosts at one moment, and their weights; immutable. Make-before-break
 * re-placement moves partner units through three states: a unit the plan asks for is a
 * <em>partner</em> (described and computed); one it no longer asks for is <em>retiring</em>
 * (computed, not described, so routers that have not switched yet lose nothing); a released one is
 * gone. Base units are always hosted.
 *
 * @param base     the endpoint's own experts of every layer
 * @param partners the units the placement plan co-locates here, disjoint from {@code base}
 * @param retiring former partners still computed until they are released, disjoint from both
 * @param weights  the weights of every unit in the three sets, and of no other
 */
public record UnitRoster(SortedSet<UnitId> base, SortedSet<UnitId> partners, SortedSet<UnitId> retiring,
        SortedMap<UnitId, ExpertWeights> weights) {

    public UnitRoster {
        base = Collections.unmodifiableSortedSet(new TreeSet<>(base));
        partners = Collections.unmodifiableSortedSet(new TreeSet<>(partners));
        retiring = Collections.unmodifiableSortedSet(new TreeSet<>(retiring));
        weights = Collections.unmodifiableSortedMap(new TreeMap<>(weights));
        assert Collections.disjoint(base, partners) && Collections.disjoint(base, retiring)
                && Collections.disjoint(partners, retiring) : "a unit in two states";
        assert weights.size() == base.size() + partners.size() + retiring.size()
                && weights.keySet().containsAll(base) && weights.keySet().containsAll(partners)
                && weights.keySet().containsAll(retiring) : "weights do not match the units";
    }

    /** What Describe lists and a router may send: base and partner units, sorted by layer then expert. */
    public SortedSet<UnitId> units() {
        SortedSet<UnitId> units = new TreeSet<>(base);
        units.addAll(partners);
        return Collections.unmodifiableSortedSet(units);
    }

    /** Whether Compute serves {@code unit}: base, partner or retiring. */
    public boolean serves(UnitId unit) {
        return weights.containsKey(unit);
    }

    /**
     * Hosts exactly {@code wanted} as partners. Units already hosted keep their weights (a retiring
     * unit listed again becomes a partner without a reload); partners not wanted any more retire.
     *
     * @param loaded the weights of every wanted unit not hosted yet
     */
    public UnitRoster withPartners(SortedSet<UnitId> wanted, Map<UnitId, ExpertWeights> loaded) {
        assert Collections.disjoint(base, wanted) : "a base unit listed as a partner";
        SortedSet<UnitId> stillRetiring = new TreeSet<>(partners);
        stillRetiring.addAll(retiring);
        stillRetiring.removeAll(wanted);
        SortedMap<UnitId, ExpertWeights> next = new TreeMap<>(weights);
        next.putAll(loaded);
        next.keySet().retainAll(union(base, wanted, stillRetiring));
        return new UnitRoster(base, wanted, stillRetiring, next);
    }

    /** The retiring units dropped: Compute no longer serves them. */
    public UnitRoster withoutRetiring() {
        SortedMap<UnitId, ExpertWeights> next = new TreeMap<>(weights);
        next.keySet().removeAll(retiring);
        return new UnitRoster(base, partners, Collections.emptySortedSet(), next);
    }

    private static SortedSet<UnitId> union(SortedSet<UnitId> a, SortedSet<UnitId> b, SortedSet<UnitId> c) {
        SortedSet<UnitId> all = new TreeSet<>(a);
        all.addAll(b);
        all.addAll(c);
        return all;
    }
}
