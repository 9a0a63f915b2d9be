package io.moemesh.cli.local;

import java.util.List;

/**
 * What the placement controller may do with the expert processes of a local cluster (issue 22): run
 * at most {@code maxExpertProcesses} of them in all, {@code moe up}'s included, to replicate hot
 * experts (0 = it starts no replica), and, with {@code pruning}, scale to zero the experts whose
 * routing share falls below {@code pruningThreshold} of the uniform share (1/experts), while the
 * tokens routed away stay within {@code pruningBudget} (a share of routed token-slots). The
 * controller reads these settings ({@code moemesh.controller.local.*}, {@code moemesh.controller.pruning.*});
 * {@code moe up} only passes them.
 */
public record ExpertProcesses(int maxExpertProcesses, boolean pruning, double pruningThreshold,
        double pruningBudget) {

    /** No replicas, no pruning: the defaults of {@code moe up}. */
    public static final ExpertProcesses NONE = new ExpertProcesses(0, false, 0.25, 0.02);

    public ExpertProcesses {
        if (maxExpertProcesses < 0) {
            throw new IllegalArgumentException("max expert processes must be >= 0 (0 = no replicas), got "
                    + maxExpertProcesses);
        }
        if (!(pruningThreshold > 0 && pruningThreshold < 1) || !(pruningBudget >= 0 && pruningBudget < 1)) {
            throw new IllegalArgumentException("the pruning threshold must be in (0, 1) and the quality budget"
                    + " in [0, 1), got " + pruningThreshold + " and " + pruningBudget);
        }
    }

    /** Whether the controller changes which expert processes run. */
    public boolean managesProcesses() {
        return maxExpertProcesses > 0 || pruning;
    }

    List<String> arguments() {
        return ServiceArguments.processes(this);
    }
}
