package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.RoutingObserver;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What per-unit outputs cost on the wire (ADR 0001, k > 2): the router's byte counters over three
 * prompts scored and 16 greedy tokens each, per placement and top-k. A token is sent once to each
 * endpoint it needs; it comes back as one row per endpoint, plus one per extra expert of a group
 * that is not a prefix of its experts. The numbers are logged ("wire bytes") for docs/performance.md.
 */
class WireBytesPerTokenTest {

    private static final Logger LOG = LoggerFactory.getLogger(WireBytesPerTokenTest.class);
    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final List<String> PROMPTS = List.of("Hello, world!", "Zürich", "The quick brown fox");
    private static final SamplingParams GREEDY = new SamplingParams(0f, 0, 1f, 0, 16, List.of(), true);

    private static List<Set<Integer>> placement(String name) {
        return switch (name) {
            case "one-per-expert" -> IntStream.range(0, 8).mapToObj(Set::of).toList();
            case "pairs" -> List.of(Set.of(0, 1), Set.of(2, 3), Set.of(4, 5), Set.of(6, 7));
            case "halves" -> List.of(Set.of(0, 1, 2, 3), Set.of(4, 5, 6, 7));
            case "partners" -> List.of(Set.of(0, 4), Set.of(1, 5), Set.of(2, 6), Set.of(3, 7, 0, 5));
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static RemoteExperts.Traffic run(String placement, int topK) {
        ModelConfig config = ModelConfig.load(MODEL);
        try (ExpertCluster cluster = new ExpertCluster(MODEL, placement(placement));
             RemoteExperts experts = RemoteExperts.connect(cluster.endpoints, ExpertCluster::channel,
                     config.numLayers(), config.numExperts(), config.hiddenSize(), DispatchProperties.defaults());
             InProcessEngine engine = InProcessEngine.open(MODEL, Kernels.best(), topK, experts)) {
            for (String prompt : PROMPTS) {
                engine.score(engine.tokenizer().encode(prompt), RoutingObserver.NONE);
                engine.generate(prompt, GREEDY, TokenListener.NONE);
            }
            RemoteExperts.Traffic t = experts.traffic();
            double layers = t.tokenLayers();
            LOG.info("wire bytes: top-{} {}: token layers {}, calls {}, token sends {}, per token and MoE layer: "
                    + "sent {}, received {}, total {}", topK, placement, t.tokenLayers(),
                    String.format("%.3f", t.calls() / layers), String.format("%.3f", t.tokenSends() / layers),
                    String.format("%.1f", t.bytesSent() / layers), String.format("%.1f", t.bytesReceived() / layers),
                    String.format("%.1f", (t.bytesSent() + t.bytesReceived()) / layers));
            return t;
        }
    }

    @ParameterizedTest
    @CsvSource({"one-per-expert", "pairs", "halves", "partners"})
    void topTwoSendsAndReceivesOneRowPerTokenSend(String placement) {
        RemoteExperts.Traffic t = run(placement, 2);

        long rowBytes = 4L * 64; // F32 rows of the tiny model's hidden size
        assertThat(t.bytesSent()).isEqualTo(t.tokenSends() * rowBytes);
        assertThat(t.bytesReceived()).isEqualTo(t.tokenSends() * rowBytes);
    }

    @ParameterizedTest
    @CsvSource({"one-per-expert, 4.0", "pairs, 3.5", "halves, 2.5", "partners, 3.5"})
    void topFourSendsATokenOnceToEachEndpointItNeedsAndGetsAtMostARowPerExpertBack(String placement,
            double maxSendsPerTokenLayer) {
        RemoteExperts.Traffic t = run(placement, 4);

        long rowBytes = 4L * 64;
        assertThat(t.bytesSent()).isEqualTo(t.tokenSends() * rowBytes);
        assertThat(t.bytesReceived()).isBetween(t.tokenSends() * rowBytes, 4 * t.tokenLayers() * rowBytes);
        assertThat((double) t.tokenSends() / t.tokenLayers()).isLessThanOrEqualTo(maxSendsPerTokenLayer);
    }
}
