package io.moemesh.core.placement;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Plan files ({@code moe up --plan}) and the partner-units annotation ({@code EXPERT:LAYER,...}) come
 * from people and from Kubernetes objects. Contract: a plan file either parses or fails with an
 * {@link IllegalArgumentException} naming the line (an {@link UncheckedIOException} when the bytes
 * are not UTF-8); an annotation either parses or fails with an {@link IllegalArgumentException}
 * naming the entry. What parses is made of non-negative ASCII integers and spells back to itself.
 */
class PlanFileFuzzTest {

    /** An index as the docs spell it; {@code Integer.parseInt} alone also takes signs and non-ASCII digits. */
    private static final Pattern INDEX = Pattern.compile("[0-9]+");

    private static Path dir;

    @BeforeAll
    static void createDir() throws IOException {
        dir = Files.createTempDirectory("plan-fuzz");
    }

    @AfterAll
    static void deleteDir() throws IOException {
        Files.deleteIfExists(dir.resolve("plan.txt"));
        Files.deleteIfExists(dir);
    }

    @FuzzTest
    void readsAnyPlanFileOrNamesTheBadLine(byte[] bytes) throws IOException {
        Path file = Files.write(dir.resolve("plan.txt"), bytes);
        TreeMap<Integer, SortedSet<Unit>> plan;
        try {
            plan = PlanFile.read(file);
        } catch (UncheckedIOException e) {
            assertThat(e).hasMessageStartingWith("cannot read plan " + file);
            return;
        } catch (IllegalArgumentException e) {
            assertThat(e).isExactlyInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("plan line ");
            return;
        }
        StringBuilder respelled = new StringBuilder();
        for (Map.Entry<Integer, SortedSet<Unit>> service : plan.entrySet()) {
            assertThat(service.getKey()).isNotNegative();
            service.getValue().forEach(PlanFileFuzzTest::assertInModelRange);
            respelled.append(service.getKey()).append('=').append(PlanFile.spell(service.getValue())).append('\n');
        }
        assertThat(PlanFile.parse(respelled.toString())).isEqualTo(plan);
    }

    @FuzzTest
    void parsesAnyAnnotationOrNamesTheBadEntry(byte[] bytes) {
        String spelled = new String(bytes, StandardCharsets.UTF_8);
        SortedSet<Unit> units;
        try {
            units = PlanFile.units(spelled);
        } catch (IllegalArgumentException e) {
            assertThat(e).isExactlyInstanceOf(IllegalArgumentException.class).hasMessageEndingWith(
                    "is not EXPERT:LAYER (e.g. 7:1)");
            return;
        }
        if (!spelled.isBlank()) {
            for (String entry : spelled.split(",", -1)) {
                assertThat(entry.split(":", -1)).as("an accepted entry of '%s'", spelled).hasSize(2)
                        .allSatisfy(index -> assertThat(index.strip()).matches(INDEX));
            }
        }
        units.forEach(PlanFileFuzzTest::assertInModelRange);
        assertThat(PlanFile.units(PlanFile.spell(units))).isEqualTo(units);
    }

    private static void assertInModelRange(Unit unit) {
        assertThat(unit.layer()).isNotNegative();
        assertThat(unit.expert()).isNotNegative();
    }
}
