package io.moemesh.bench;

import io.moemesh.core.engine.TextStream;
import io.moemesh.core.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One generated sequence of {@code length} ids through {@link TextStream} with a SentencePiece tokenizer
 * (Mixtral's decoder, the test fixture {@code tokenizers/mixtral}; its decoder is not piecewise): the
 * windowed decode against the path {@code TextStream} took for such tokenizers before, which decoded the
 * whole sequence at every token ({@link FullDecode}, kept here as the baseline). Time per op is per
 * sequence: divide by {@code length} for the time per token. Run from the repository root.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class TextStreamBenchmark {

    private static final List<String> STOPS = List.of("<|stop|>", "\n\n\n\n\n");

    @Param({"256", "1024", "4096"})
    public int length;

    @Param({"windowed", "full-decode"})
    public String stream;

    @Param("moe-core/src/test/resources/tokenizers/mixtral")
    public String tokenizerDir;

    @Param("models/mesh-mini-16e/tokenizer_golden.json")
    public String texts;

    private TextTokenizer tokenizer;
    private int[] ids;

    /** Ids of real text in many languages (the golden texts, over and over), BOS left out. */
    @Setup
    public void setUp() throws IOException {
        tokenizer = TextTokenizer.load(Path.of(tokenizerDir));
        if (tokenizer.decodesPiecewise()) {
            throw new IllegalStateException(tokenizerDir + " decodes piecewise: this measures the other path");
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode c : JsonMapper.shared().readTree(Path.of(texts).toFile()).get("cases")) {
            text.append(c.get("text").stringValue()).append(' ');
        }
        int[] once = tokenizer.encode(text.toString());
        ids = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = once[1 + i % (once.length - 1)];
        }
        if (STOPS.stream().anyMatch(tokenizer.decode(ids)::contains)) {
            throw new IllegalStateException("a stop string occurs in the text: the sequence would end early");
        }
    }

    @TearDown
    public void tearDown() {
        tokenizer.close();
    }

    @Benchmark
    public void sequence(Blackhole bh) {
        if (stream.equals("windowed")) {
            TextStream s = new TextStream(tokenizer, STOPS);
            for (int id : ids) {
                bh.consume(s.push(id));
            }
            bh.consume(s.finish());
        } else {
            FullDecode s = new FullDecode(tokenizer, STOPS);
            for (int id : ids) {
                bh.consume(s.push(id));
            }
        }
    }

    /**
     * The baseline: {@code TextStream.push} before the window, for a tokenizer that is not piecewise. It
     * decodes every id so far, searches the whole text for stop strings, and holds back a stop's prefix
     * and an incomplete character as the stream does.
     */
    static final class FullDecode {

        private final TextTokenizer tokenizer;
        private final List<String> stops;
        private int[] ids = new int[16];
        private int count;
        private int emitted;

        FullDecode(TextTokenizer tokenizer, List<String> stops) {
            this.tokenizer = tokenizer;
            this.stops = stops;
        }

        String push(int id) {
            if (count == ids.length) {
                ids = Arrays.copyOf(ids, count * 2);
            }
            ids[count++] = id;
            String text = tokenizer.decode(Arrays.copyOf(ids, count));
            for (String stop : stops) {
                if (text.contains(stop)) {
                    throw new IllegalStateException("stop string in the text");
                }
            }
            int end = text.length();
            while (end > emitted && text.charAt(end - 1) == '\uFFFD') {
                end--;
            }
            int held = 0;
            for (String stop : stops) {
                for (int len = Math.min(stop.length() - 1, end); len > held; len--) {
                    if (text.startsWith(stop.substring(0, len), end - len)) {
                        held = len;
                        break;
                    }
                }
            }
            end -= held;
            if (end <= emitted) {
                return "";
            }
            String piece = text.substring(emitted, end);
            emitted = end;
            return piece;
        }
    }
}
