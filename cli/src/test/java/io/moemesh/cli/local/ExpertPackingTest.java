package io.moemesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ExpertPackingTest {

    @Test
    void autoKeepsOneExpertPerProcessUpToSixteenExperts() {
        assertThat(ExpertPacking.auto().perProcess(8)).isEqualTo(1);
        assertThat(ExpertPacking.auto().perProcess(16)).isEqualTo(1);
    }

    @Test
    void autoStartsAtMostSixteenProcesses() {
        assertThat(ExpertPacking.auto().perProcess(64)).isEqualTo(4);
        assertThat(ExpertPacking.auto().perProcess(128)).isEqualTo(8);
        assertThat(ExpertPacking.auto().perProcess(60)).isEqualTo(4);
        for (int experts = 1; experts <= 256; experts++) {
            int perProcess = ExpertPacking.auto().perProcess(experts);
            assertThat(ExpertGroup.processes(experts, perProcess)).as("%d experts", experts)
                    .isLessThanOrEqualTo(ExpertPacking.MAX_AUTO_PROCESSES);
        }
    }

    @Test
    void aFixedNumberThatDoesNotDivideTheExpertsLeavesTheRemainderToTheLastProcess() {
        int perProcess = ExpertPacking.parse("5").perProcess(16);

        assertThat(ExpertGroup.split(16, perProcess)).extracting(ExpertGroup::size).containsExactly(5, 5, 5, 1);
    }

    @Test
    void refusesMoreExpertsPerProcessThanTheModelHas() {
        assertThatThrownBy(() -> ExpertPacking.of(65).perProcess(64)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("65 experts per process is more than the model's 64 experts: use 1..64 or auto");
    }

    @Test
    void parsesAutoAndNumbersAndRefusesTheRest() {
        assertThat(ExpertPacking.parse("AUTO").isAuto()).isTrue();
        assertThat(ExpertPacking.parse("4")).isEqualTo(ExpertPacking.of(4));
        assertThat(ExpertPacking.parse("4").toString()).isEqualTo("4");
        assertThatThrownBy(() -> ExpertPacking.parse("0")).hasMessageContaining("at least 1, got 0");
        assertThatThrownBy(() -> ExpertPacking.parse("four")).hasMessageContaining("auto or a number, got 'four'");
    }
}
