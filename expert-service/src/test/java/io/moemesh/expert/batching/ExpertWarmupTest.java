package io.moemesh.expert.batching;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.expert.unit.UnitId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ExpertWarmupTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");

    @Test
    void runsEveryHostedUnitAtOneTokenAndAtABatch() {
        try (Checkpoint checkpoint = Checkpoint.open(MODEL)) {
            ModelConfig config = ModelConfig.load(MODEL);
            Map<UnitId, ExpertWeights> units = new TreeMap<>();
            units.put(new UnitId(0, 3), ExpertWeights.load(checkpoint, config, 0, 3));
            units.put(new UnitId(1, 3), ExpertWeights.load(checkpoint, config, 1, 3));
            List<String> calls = new ArrayList<>();

            int rounds = ExpertWarmup.run(units, (w, x, tokens, out) -> calls.add(w.layer() + "/" + tokens),
                    Duration.ofNanos(1));

            assertThat(rounds).isEqualTo(1);
            assertThat(calls).containsExactly("0/1", "0/8", "1/1", "1/8");
        }
    }

    @Test
    void aZeroBudgetSkipsWarmUp() {
        assertThat(ExpertWarmup.run(Map.of(), (w, x, t, out) -> { }, Duration.ZERO)).isZero();
    }
}
