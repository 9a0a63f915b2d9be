package io.moemesh.placement.grpc;

import io.moemesh.proto.codec.RoutingStatsCodec;
import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.placement.PlacementLoop;
import io.moemesh.placement.local.LocalReport;
import io.moemesh.placement.round.PlacementReport;
import io.moemesh.placement.round.PlacementSettings;
import io.moemesh.proto.internal.v1.PlacementStatus;
import io.moemesh.proto.internal.v1.ServicePlacement;

/** The loop's state as the PlacementStatus message that gRPC and HTTP serve. */
public final class StatusMapper {

    private StatusMapper() {
    }

    public static PlacementStatus toProto(PlacementLoop.State state, PlacementSettings settings) {
        PlacementStatus.Builder b = PlacementStatus.newBuilder().setPlansApplied(state.plansApplied())
                .setMinGain(settings.minGain()).setDryRun(settings.dryRun());
        if (state.lastApplied() != null) {
            b.setLastAppliedUnixMillis(state.lastApplied().toEpochMilli());
        }
        PlacementReport r = state.latest();
        if (r == null) {
            return b.setLastDecision("no planning round yet").build();
        }
        b.setLastDecision(r.decision()).setLastRoundUnixMillis(r.at().toEpochMilli())
                .setObservedCallsPerToken(r.observed().callsPerToken())
                .setObservedBytesPerToken(r.observed().bytesPerToken());
        if (r.stats() != null) {
            b.setStats(RoutingStatsCodec.encode(r.stats())).setTopK(r.stats().topK());
        }
        LocalReport local = r.local();
        if (r.live() != null) {
            PlacementPlan plan = r.live().plan();
            for (int s = 0; s < plan.hosted().size(); s++) {
                ServicePlacement.Builder service = ServicePlacement.newBuilder().setService(s)
                        .addAllUnits(ProtoMapping.units(plan.hosted().get(s)))
                        .addAllEndpoints(r.live().endpoints().get(s))
                        .setReplicaTarget(r.candidate() == null ? 0 : r.candidate().replicas().get(s));
                if (local != null) {
                    local(service, local, s);
                }
                b.addServices(service);
            }
        }
        if (local != null) {
            b.setLocalMode(true).addAllPrunedExperts(local.pruned()).setPruningDecision(local.pruningDecision())
                    .setReroutedShare(local.reroutedShare()).setQualityBudget(local.qualityBudget())
                    .setLocalDecision(local.decision()).setExpertProcesses(local.expertProcesses())
                    .setMaxExpertProcesses(local.maxExpertProcesses());
        }
        if (r.liveScore() != null) {
            b.setExpectedCallsPerToken(r.liveScore().remoteCallsPerToken())
                    .setMemoryRatio(r.liveScore().memoryRatio()).setMaxMeanLoad(r.liveScore().maxMeanLoad())
                    .setCallModel(r.liveScore().callModel().label())
                    .setListedTokenFraction(r.liveScore().listedTokenFraction());
        }
        if (r.baselineScore() != null) {
            b.setBaselineCallsPerToken(r.baselineScore().remoteCallsPerToken());
        }
        if (r.candidateScore() != null) {
            b.setCandidateCallsPerToken(r.candidateScore().remoteCallsPerToken())
                    .setCandidateMemoryRatio(r.candidateScore().memoryRatio());
        }
        return b.build();
    }

    private static void local(ServicePlacement.Builder service, LocalReport local, int s) {
        service.setPruned(local.pruned().contains(s));
        if (s < local.replicas().length) {
            service.setLocalReplicas(local.replicas()[s]).setLocalReplicaTarget(local.targets()[s]);
        }
        if (s < local.shares().length) {
            service.setRoutingShare(local.shares()[s]);
        }
    }
}
