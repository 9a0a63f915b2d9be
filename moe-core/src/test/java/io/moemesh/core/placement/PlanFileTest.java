package io.moemesh.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class PlanFileTest {

    @Test
    void writesOnlyPartnerUnitsAndReadsThemBack() {
        PlacementPlan plan = new PlacementPlan(List.of(
                units(new Unit(0, 0), new Unit(1, 0)),
                units(new Unit(0, 1), new Unit(1, 1), new Unit(1, 0), new Unit(0, 2))),
                List.of(1, 1));

        String text = PlanFile.format(plan);

        assertThat(text).contains("\n1=2:0,0:1\n").doesNotContain("\n0=");
        assertThat(PlanFile.parse(text)).containsOnlyKeys(1);
        assertThat(PlanFile.parse(text).get(1)).containsExactly(new Unit(0, 2), new Unit(1, 0));
    }

    @Test
    void ignoresCommentsAndBlankLines() {
        assertThat(PlanFile.parse("# a plan\n\n 3 = 7:1 , 9:2  # two partners\n").get(3))
                .containsExactly(new Unit(1, 7), new Unit(2, 9));
    }

    @Test
    void namesTheLineThatIsWrong() {
        assertThatThrownBy(() -> PlanFile.parse("3=7:1\n4=7-1\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("plan line 2 is '4=7-1'")
                .hasMessageContaining("SERVICE=EXPERT:LAYER");
        assertThatThrownBy(() -> PlanFile.parse("7:1\n"))
                .hasMessageContaining("plan line 1");
    }

    @Test
    void unitsReadBackWhatSpellWrote() {
        SortedSet<Unit> units = units(new Unit(0, 3), new Unit(2, 5));

        assertThat(PlanFile.units(PlanFile.spell(units))).isEqualTo(units);
        assertThat(PlanFile.units(" ")).isEmpty();
        assertThatThrownBy(() -> PlanFile.units("3:0,5-2")).hasMessageContaining("'5-2' is not EXPERT:LAYER");
    }

    private static SortedSet<Unit> units(Unit... units) {
        return new TreeSet<>(List.of(units));
    }
}
