package io.moemesh.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.routing.RoutingStats;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlacementEvaluationTest {

    private static List<PlacementEvaluation.Doc> docs(String lang, int n) {
        List<PlacementEvaluation.Doc> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new PlacementEvaluation.Doc(lang, "src", lang + i));
        }
        return out;
    }

    @Test
    void splitsEachLanguageIntoDisjointHalvesSpreadOverItsDocuments() {
        List<PlacementEvaluation.Doc> all = new ArrayList<>(docs("en", 100));
        all.addAll(docs("de", 3));

        PlacementEvaluation.Split split = PlacementEvaluation.split(all, 4);

        // de has 3 < 4 documents: all of them, alternating; en: indices 0, 25, 50, 75
        assertThat(split.plan()).extracting(PlacementEvaluation.Doc::text).containsExactly("de0", "de2", "en0", "en50");
        assertThat(split.score()).extracting(PlacementEvaluation.Doc::text).containsExactly("de1", "en25", "en75");
        assertThat(split.plan()).doesNotContainAnyElementsOf(split.score());
    }

    @Test
    void splitIsTheSameEveryTime() {
        List<PlacementEvaluation.Doc> all = new ArrayList<>(docs("ru", 37));
        all.addAll(docs("es", 11));

        assertThat(PlacementEvaluation.split(all, 10)).isEqualTo(PlacementEvaluation.split(all, 10));
    }

    @Test
    void callsLowerBoundIsTwoMinusTheFractionForTopTwo() {
        RoutingStats s = RoutingStats.empty(2, 4, Instant.EPOCH, Instant.EPOCH);
        for (int l = 0; l < 2; l++) { // 10 tokens per layer, each choosing one pair
            s.tokens()[l] = 10;
            s.coactivation()[l][0 * 4 + 1] = 6;
            s.coactivation()[l][1 * 4 + 0] = 6;
            s.coactivation()[l][2 * 4 + 3] = 4;
            s.coactivation()[l][3 * 4 + 2] = 4;
        }

        assertThat(PlacementEvaluation.callsLowerBound(s, 0.0)).isEqualTo(2.0);
        assertThat(PlacementEvaluation.callsLowerBound(s, 0.6)).isCloseTo(1.4, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void parsesDefaultsAndOptions() {
        PlacementEvaluation.Args d = PlacementEvaluation.Args.parse(new String[0]);
        assertThat(d.model()).isEqualTo(Path.of("models/mesh-mini-16e"));
        assertThat(d.heldout()).isEqualTo(Path.of("tools/train/data/heldout.jsonl"));
        assertThat(d.docsPerLang()).isEqualTo(20);
        assertThat(d.maxTokens()).isEqualTo(128);

        PlacementEvaluation.Args a = PlacementEvaluation.Args.parse(
                new String[] {"m", "--docs-per-lang=8", "h.jsonl", "out/p", "--max-tokens=64"});
        assertThat(a.outPrefix()).isEqualTo("out/p");
        assertThat(a.docsPerLang()).isEqualTo(8);
        assertThat(a.maxTokens()).isEqualTo(64);
        assertThatThrownBy(() -> PlacementEvaluation.Args.parse(new String[] {"--docs=3"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown option --docs=3");
    }
}
