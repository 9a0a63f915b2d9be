package io.moemesh.expert.compute;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.expert.batching.ExpertWarmup;
import io.moemesh.expert.batching.FfnRunner;
import io.moemesh.expert.batching.MicroBatcher;
import io.moemesh.expert.compute.RePlacementException.Kind;
import io.moemesh.expert.unit.HostedUnits;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.expert.unit.UnitLoadException;
import io.moemesh.expert.unit.UnitRoster;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Make-before-break re-placement of this endpoint's partner units, driven by the placement
 * controller (expert.proto: {@code SetPartnerUnits}, then the routers switch, then
 * {@code ReleaseRetiredUnits}).
 *
 * <ol>
 *   <li>{@link #setPartnerUnits}: new partners are loaded from the mapped checkpoint, warmed (their
 *       weight pages faulted in, so the first real call does not pay for it) and given a queue
 *       before they are published; partners no longer listed retire: not described, still computed.</li>
 *   <li>{@link #releaseRetiredUnits}: retiring units are unpublished first (Compute answers NOT_FOUND
 *       for them from then on), then their queues released; work already queued for them completes.</li>
 * </ol>
 *
 * Calls are serialized: one re-placement at a time. They block for the load and warm-up, so callers
 * run them off the gRPC transport threads. Compute never waits for them: it reads the published
 * {@link UnitRoster}.
 *
 * <p>A {@link #setPartnerUnits} that fails, whatever throws (an {@link Error} from a mapped weight
 * page included), changes nothing: the new roster is not published and the queues it added are
 * released again, so the same call can simply be retried.
 */
public final class RePlacementUseCase {

    private static final Logger LOG = LoggerFactory.getLogger(RePlacementUseCase.class);

    private final HostedUnits units;
    private final MicroBatcher batcher;
    private final DescribeUseCase describe;
    private final FfnRunner warmupRunner;
    private final Duration warmupBudget;
    private final ReentrantLock oneAtATime = new ReentrantLock();

    /**
     * @param warmupRunner runs the new partners' FFN before they are published
     * @param warmupBudget how long that warm-up may repeat after its first round; zero skips it
     */
    public RePlacementUseCase(HostedUnits units, MicroBatcher batcher, DescribeUseCase describe,
            FfnRunner warmupRunner, Duration warmupBudget) {
        this.units = units;
        this.batcher = batcher;
        this.describe = describe;
        this.warmupRunner = warmupRunner;
        this.warmupBudget = warmupBudget;
    }

    /**
     * Hosts the base units plus exactly {@code partners}, and returns the description that results.
     * A retiring unit listed again becomes a partner without a reload.
     *
     * @throws RePlacementException INVALID_ARGUMENT for a unit outside the model, a base unit or a
     *                              repeated unit; INTERNAL when weights cannot be loaded or run.
     *                              Either way nothing changed.
     */
    public EndpointDescription setPartnerUnits(List<UnitId> partners) {
        oneAtATime.lock();
        try {
            UnitRoster current = units.roster();
            SortedSet<UnitId> wanted = check(partners, current.base());
            SortedSet<UnitId> fresh = new TreeSet<>(wanted);
            fresh.removeIf(current::serves);
            long start = System.nanoTime();
            SortedMap<UnitId, ExpertWeights> loaded = loadAndWarm(fresh);
            batcher.host(loaded); // queues first: a published unit must find its queue
            EndpointDescription answer = publish(current, wanted, loaded);
            LOG.info("partner units now {}: loaded and warmed {} in {} ms; retiring {}", answer.partnerUnits(),
                    fresh, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), answer.retiringUnits());
            return answer;
        } finally {
            oneAtATime.unlock();
        }
    }

    /**
     * Describes the roster with {@code wanted} as partners, then publishes it; nothing is published
     * unless the description succeeded. On any failure the queues just hosted for {@code loaded} are
     * released again (no call can have reached them: their units were never published).
     */
    private EndpointDescription publish(UnitRoster current, SortedSet<UnitId> wanted,
            SortedMap<UnitId, ExpertWeights> loaded) {
        try {
            EndpointDescription answer = describe.describe(current.withPartners(wanted, loaded));
            units.setPartners(wanted, loaded);
            return answer;
        } catch (RuntimeException | Error e) {
            batcher.release(loaded.keySet());
            throw new RePlacementException(Kind.INTERNAL, "publishing partner units " + wanted + " failed: " + e
                    + "; nothing was changed, retry the call; see the expert service log", e);
        }
    }

    /**
     * Stops serving the retiring units and drops their queues and meters; returns the description
     * that results. Work already queued or running for them completes normally.
     */
    public EndpointDescription releaseRetiredUnits() {
        oneAtATime.lock();
        try {
            SortedSet<UnitId> retiring = units.roster().retiring();
            UnitRoster next = units.releaseRetiring(); // unpublished first: new calls get NOT_FOUND ...
            batcher.release(retiring); // ... and only then can no new work reach the queues
            if (!retiring.isEmpty()) {
                LOG.info("released retired units {}", retiring);
            }
            return describe.describe(next);
        } finally {
            oneAtATime.unlock();
        }
    }

    /** The requested units as a set, or INVALID_ARGUMENT naming the first entry that cannot be hosted. */
    private SortedSet<UnitId> check(List<UnitId> partners, SortedSet<UnitId> base) {
        ModelConfig model = units.config();
        Map<UnitId, Integer> firstIndex = new HashMap<>();
        for (int i = 0; i < partners.size(); i++) {
            UnitId unit = partners.get(i);
            String field = "partner_units[" + i + "] (" + unit + ")";
            if (unit.layer() >= model.numMoeLayers()) {
                throw RePlacementException.invalidArgument(field + " does not exist: the model has "
                        + model.numMoeLayers() + " MoE layers (0.." + (model.numMoeLayers() - 1) + ")");
            }
            if (unit.expert() >= model.numExperts()) {
                throw RePlacementException.invalidArgument(field + " does not exist: the model has "
                        + model.numExperts() + " experts (0.." + (model.numExperts() - 1) + ")");
            }
            if (base.contains(unit)) {
                throw RePlacementException.invalidArgument(field + " is a base unit of this endpoint, always "
                        + "hosted; list only units beyond its base experts "
                        + base.stream().map(UnitId::expert).distinct().toList() + " of every layer");
            }
            Integer earlier = firstIndex.putIfAbsent(unit, i);
            if (earlier != null) {
                throw RePlacementException.invalidArgument(field + " repeats partner_units[" + earlier
                        + "]; list each unit once");
            }
        }
        return new TreeSet<>(partners);
    }

    private SortedMap<UnitId, ExpertWeights> loadAndWarm(SortedSet<UnitId> fresh) {
        SortedMap<UnitId, ExpertWeights> loaded;
        try {
            loaded = units.loadWeights(fresh);
        } catch (UnitLoadException e) {
            throw new RePlacementException(Kind.INTERNAL, "cannot load partner units " + fresh + ": "
                    + e.getMessage() + "; nothing was changed", e);
        } catch (Error e) { // e.g. OutOfMemoryError, or InternalError from a fault in a mapped page
            throw new RePlacementException(Kind.INTERNAL, "loading partner units " + fresh + " failed: " + e
                    + "; nothing was changed, see the expert service log", e);
        }
        try {
            ExpertWarmup.run(loaded, warmupRunner, warmupBudget);
        } catch (RuntimeException | Error e) { // the first touch of the mapped weights: where a bad page faults
            throw new RePlacementException(Kind.INTERNAL, "warming up partner units " + fresh + " failed: " + e
                    + "; nothing was changed, see the expert service log", e);
        }
        return loaded;
    }
}
