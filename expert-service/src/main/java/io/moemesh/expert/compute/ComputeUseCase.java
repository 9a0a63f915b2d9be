package io.moemesh.expert.compute;

import io.moemesh.expert.batching.MicroBatcher;
import io.moemesh.expert.batching.QueuedWork;
import io.moemesh.expert.batching.RejectedWorkException;
import io.moemesh.expert.batching.UnitNotServedException;
import io.moemesh.expert.compute.ComputeException.Kind;
import io.moemesh.expert.unit.HostedUnits;
import io.moemesh.expert.unit.UnitId;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers a layer step for this endpoint: per token, {@code Σ weight · FFN_expert(hidden)} over the
 * experts listed for it, which must all be hosted here (or, for a token asking for per-unit outputs,
 * each {@code weight · FFN_expert(hidden)} on its own row, for the router to add in order). Tokens are grouped per expert, each group
 * goes through its unit's micro-batching queue, and {@link ComputeCall} adds the outputs with the
 * combine rule of {@code LocalExperts} (ADR 0001), so the result is bit-identical to the in-process
 * engine's.
 *
 * <p>Which units are hosted changes at run time: a unit is accepted while it is a base, partner or
 * retiring unit, and refused with NOT_FOUND once it is released.
 */
public final class ComputeUseCase {

    private final HostedUnits units;
    private final MicroBatcher batcher;
    private final int hiddenSize;

    public ComputeUseCase(HostedUnits units, MicroBatcher batcher) {
        this.units = units;
        this.batcher = batcher;
        this.hiddenSize = units.config().hiddenSize();
    }

    public int hiddenSize() {
        return hiddenSize;
    }

    /**
     * Checks the command and queues its work.
     *
     * @throws ComputeException INVALID_ARGUMENT for rows that do not match the routes, NOT_FOUND for a unit not hosted here, RESOURCE_EXHAUSTED when a
     *                          unit's queue is full, DEADLINE_EXCEEDED when the deadline has passed
     */
    public ComputeCall start(ComputeCommand command) {
        if (command.hidden().length != command.tokens() * hiddenSize) {
            throw ComputeException.invalidArgument("hidden holds " + command.hidden().length + " values but "
                    + command.tokens() + " tokens of hidden size " + hiddenSize + " need "
                    + command.tokens() * hiddenSize);
        }
        requireLayer(command.layer());
        List<ExpertGroup> groups = groupByExpert(command);
        if (command.deadlineNanos() != MicroBatcher.NO_DEADLINE
                && batcher.ticker().nanos() - command.deadlineNanos() >= 0) {
            throw new ComputeException(Kind.DEADLINE_EXCEEDED, "the deadline of request " + command.requestId()
                    + " had passed before its work could be queued");
        }
        List<QueuedWork> queued = new ArrayList<>(groups.size());
        try {
            for (ExpertGroup group : groups) {
                queued.add(batcher.submit(new UnitId(command.layer(), group.expert()),
                        group.gatherRows(command.hidden(), hiddenSize), group.tokens().length,
                        command.deadlineNanos()));
            }
        } catch (RejectedWorkException e) {
            dropAll(queued, "another unit of the request was refused: " + e.getMessage());
            throw ComputeException.from(e);
        } catch (UnitNotServedException e) {
            // checked as hosted above, then released before its work was queued
            dropAll(queued, e.unit() + " was released while the request was queued");
            throw notHosted(e.unit(), "released just now");
        }
        return new ComputeCall(command.outputRows(), hiddenSize, groups, queued);
    }

    private static void dropAll(List<QueuedWork> queued, String message) {
        queued.forEach(work -> work.drop(RejectedWorkException.Reason.CANCELLED, message));
    }

    private void requireLayer(int layer) {
        int layers = units.config().numMoeLayers();
        if (layer < 0 || layer >= layers) {
            throw new ComputeException(Kind.NOT_FOUND, "layer " + layer + " does not exist: the model has "
                    + layers + " MoE layers (0.." + (layers - 1) + "); this endpoint hosts " + units.units());
        }
    }

    /** Groups in ascending expert order, the order the combine rule adds them in. */
    private List<ExpertGroup> groupByExpert(ComputeCommand command) {
        int experts = units.config().numExperts();
        int[] counts = new int[experts];
        List<TokenRoute> routes = command.routes();
        for (int t = 0; t < routes.size(); t++) {
            int[] listed = routes.get(t).experts();
            for (int j = 0; j < listed.length; j++) {
                requireHosted(command.layer(), listed[j], "routes[" + t + "].experts[" + j + "]");
                counts[listed[j]]++;
            }
        }
        List<ExpertGroup> groups = new ArrayList<>();
        int[] slot = new int[experts];
        ExpertGroup[] byExpert = new ExpertGroup[experts];
        for (int e = 0; e < experts; e++) {
            if (counts[e] > 0) {
                byExpert[e] = new ExpertGroup(e, new int[counts[e]], new float[counts[e]], new int[counts[e]]);
                groups.add(byExpert[e]);
            }
        }
        int row = 0; // the token's first row of the answer
        for (int t = 0; t < routes.size(); t++) {
            TokenRoute route = routes.get(t);
            for (int j = 0; j < route.experts().length; j++) {
                int e = route.experts()[j];
                byExpert[e].tokens()[slot[e]] = t;
                byExpert[e].outputRows()[slot[e]] = route.perUnit() ? row + j : row;
                byExpert[e].weights()[slot[e]++] = route.weights()[j];
            }
            row += route.outputRows();
        }
        return groups;
    }

    private void requireHosted(int layer, int expert, String field) {
        if (expert >= units.config().numExperts() || !units.hosts(new UnitId(layer, expert))) {
            throw notHosted(new UnitId(layer, expert), field);
        }
    }

    private ComputeException notHosted(UnitId unit, String why) {
        return new ComputeException(Kind.NOT_FOUND, unit + " (" + why + ") is not hosted by this endpoint; it hosts "
                + units.units());
    }
}
