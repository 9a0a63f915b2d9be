package io.moemesh.expert.unit;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.model.ExpertWeights;
import io.moemesh.expert.TinyModel;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The roster's transitions: partner → retiring → released, and retiring → partner without a reload. */
class UnitRosterTest {

    private static final UnitId A = new UnitId(0, 5);
    private static final UnitId B = new UnitId(1, 7);
    private static final UnitId C = new UnitId(1, 6);

    private final HostedUnits units = HostedUnits.load(TinyModel.dir(), new UnitPlacement(List.of(3), List.of(A, B)));

    @AfterEach
    void close() {
        units.close();
    }

    @Test
    void startsWithTheConfiguredExpertsAsBaseAndTheExtraUnitsAsPartners() {
        UnitRoster roster = units.roster();

        assertThat(roster.base()).containsExactly(new UnitId(0, 3), new UnitId(1, 3));
        assertThat(roster.partners()).containsExactly(A, B);
        assertThat(roster.retiring()).isEmpty();
        assertThat(units.service()).hasValue(3);
    }

    @Test
    void extraUnitThatIsABaseUnitIsNotAPartner() {
        try (HostedUnits overlapping = HostedUnits.load(TinyModel.dir(),
                new UnitPlacement(List.of(3), List.of(new UnitId(1, 3), B)))) {
            assertThat(overlapping.roster().partners()).containsExactly(B);
        }
    }

    @Test
    void partnersNotListedRetireAndKeepServing() {
        Map<UnitId, ExpertWeights> loaded = units.loadWeights(List.of(C));

        UnitRoster next = units.roster().withPartners(set(A, C), loaded);

        assertThat(next.partners()).containsExactly(A, C);
        assertThat(next.retiring()).containsExactly(B);
        assertThat(next.units()).doesNotContain(B);
        assertThat(next.serves(B)).isTrue();
        assertThat(next.weights().get(C)).isSameAs(loaded.get(C));
    }

    @Test
    void retiringUnitListedAgainKeepsItsWeights() {
        ExpertWeights b = units.roster().weights().get(B);
        UnitRoster retired = units.roster().withPartners(set(A), Map.of());

        UnitRoster again = retired.withPartners(set(A, B), Map.of());

        assertThat(again.partners()).containsExactly(A, B);
        assertThat(again.retiring()).isEmpty();
        assertThat(again.weights().get(B)).isSameAs(b);
    }

    @Test
    void releasingDropsRetiringUnitsAndTheirWeights() {
        UnitRoster retired = units.roster().withPartners(set(A), Map.of());

        UnitRoster released = retired.withoutRetiring();

        assertThat(released.retiring()).isEmpty();
        assertThat(released.serves(B)).isFalse();
        assertThat(released.weights().keySet()).containsExactly(new UnitId(0, 3), A, new UnitId(1, 3));
    }

    private static SortedSet<UnitId> set(UnitId... units) {
        return new TreeSet<>(List.of(units));
    }
}
