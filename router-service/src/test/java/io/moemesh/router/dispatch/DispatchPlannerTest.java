package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which endpoint computes which pairs, and where a token's pairs may be summed (ADR 0001). */
class DispatchPlannerTest {

    private static List<Assignment> plan(int[] experts, int[] all, int[][] hosts, int endpoints) {
        return DispatchPlanner.plan(new int[][] {experts}, new float[][] {new float[experts.length]},
                new int[][] {all}, hosts, endpoints, e -> true);
    }

    @Test
    void anEndpointSumsATokensFirstExpertsAndAnswersALaterGroupOneRowPerExpert() {
        // token 1, 3, 5, 6: endpoint 0 hosts 1 and 3 (the first two), endpoint 1 hosts 5 and 6
        int[][] hosts = {{}, {0}, {}, {0}, {}, {1}, {1}, {}};

        List<Assignment> plan = plan(new int[] {1, 3, 5, 6}, new int[] {1, 3, 5, 6}, hosts, 2);

        assertThat(plan).hasSize(2);
        assertThat(plan.get(0).experts()).containsExactly(new int[] {1, 3});
        assertThat(plan.get(0).perUnit()).containsExactly(false);
        assertThat(plan.get(1).experts()).containsExactly(new int[] {5, 6});
        assertThat(plan.get(1).perUnit()).containsExactly(true);
        assertThat(plan.get(1).rows()).isEqualTo(2);
    }

    @Test
    void aTokenIsSentOnceToAnEndpointHostingSeveralOfItsExperts() {
        // token 0, 2, 4: endpoint 0 hosts 0 and 4, endpoint 1 hosts 2 (and a replica of 4)
        int[][] hosts = {{0}, {}, {1}, {}, {0, 1}, {}, {}, {}};

        List<Assignment> plan = plan(new int[] {0, 2, 4}, new int[] {0, 2, 4}, hosts, 2);

        assertThat(plan).hasSize(2);
        assertThat(plan.get(0).experts()).containsExactly(new int[] {0, 4});
        assertThat(plan.get(0).perUnit()).as("0 and 4 skip 2: not a prefix").containsExactly(true);
        assertThat(plan.get(1).experts()).containsExactly(new int[] {2});
        assertThat(plan.get(1).perUnit()).containsExactly(false);
    }

    @Test
    void endpointsAreChosenByGreedySetCoverAsThePlannerScoresThem() {
        // token 0, 1, 2: expert 0 on endpoints 0 and 2, expert 1 on 1, expert 2 on 2. Taking experts
        // in order would call 0, 1 and 2; the cover takes endpoint 2 (experts 0 and 2), then 1.
        int[][] hosts = {{0, 2}, {1}, {2}};

        List<Assignment> plan = plan(new int[] {0, 1, 2}, new int[] {0, 1, 2}, hosts, 3);

        assertThat(plan).extracting(Assignment::endpoint).containsExactly(2, 1);
        assertThat(plan.get(0).experts()).containsExactly(new int[] {0, 2});
        assertThat(plan.get(1).experts()).containsExactly(new int[] {1});
    }

    @Test
    void topTwoNeverAsksForPerUnitOutputs() {
        int[][] hosts = {{0}, {1}, {0}, {1}, {0}, {1}, {0}, {1}};

        List<Assignment> split = plan(new int[] {0, 1}, new int[] {0, 1}, hosts, 2);
        List<Assignment> coHosted = plan(new int[] {0, 2}, new int[] {0, 2}, hosts, 2);

        assertThat(split).hasSize(2).allMatch(a -> a.perUnitTokens() == 0 && a.rows() == 1);
        assertThat(coHosted).hasSize(1).allMatch(a -> a.perUnitTokens() == 0 && a.rows() == 1);
    }

    @Test
    void aRetryOfATokensLaterExpertsOnOneEndpointAsksForPerUnitOutputs() {
        int[][] hosts = {{0}, {1}, {1}, {}, {}, {}, {}, {}};

        List<Assignment> retry = plan(new int[] {1, 2}, new int[] {0, 1, 2}, hosts, 2);

        assertThat(retry).hasSize(1);
        assertThat(retry.getFirst().perUnit()).containsExactly(true);
        assertThat(retry.getFirst().rows()).isEqualTo(2);
    }
}
