package io.moemesh.core.engine;

import io.moemesh.core.tokenizer.TextTokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * {@link TextStream} as it was before issue 17, kept as the obviously-correct twin: it decodes the whole
 * sequence at every token. The incremental stream must release the same pieces. Changed since in one way,
 * made to both: the start of a stop string is held back when an incomplete character follows it.
 */
final class FullDecodeTextStream {

    private static final char INCOMPLETE = '\uFFFD';

    private final TextTokenizer tokenizer;
    private final List<String> stops;
    private int[] ids = new int[16];
    private int count;
    private int emitted;
    private String finalText;

    FullDecodeTextStream(TextTokenizer tokenizer, List<String> stops) {
        this.tokenizer = tokenizer;
        this.stops = stops;
    }

    /** Adds a generated token; returns the newly final text (possibly empty). */
    String push(int id) {
        if (finalText != null) {
            throw new IllegalStateException("the stream already ended at a stop string");
        }
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, count * 2);
        }
        ids[count++] = id;
        String text = tokenizer.decode(Arrays.copyOf(ids, count));
        int stopAt = firstStop(text);
        if (stopAt >= 0) {
            finalText = text.substring(0, stopAt);
            return take(finalText, finalText.length());
        }
        int complete = text.length();
        while (complete > emitted && text.charAt(complete - 1) == INCOMPLETE) {
            complete--;
        }
        int end = complete - heldBackSuffix(text.substring(0, complete));
        return take(text, end);
    }

    boolean stopped() {
        return finalText != null;
    }

    /** Ends the stream: returns the text still held back. */
    String finish() {
        if (finalText == null) {
            finalText = tokenizer.decode(Arrays.copyOf(ids, count));
        }
        return take(finalText, finalText.length());
    }

    /** The whole text, up to (not including) a stop string; call after {@link #finish()}. */
    String text() {
        if (finalText == null) {
            throw new IllegalStateException("the stream has not finished");
        }
        return finalText;
    }

    private int firstStop(String text) {
        int first = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        return first;
    }

    /** Length of the longest suffix of {@code text} that could still grow into a stop string. */
    private int heldBackSuffix(String text) {
        int held = 0;
        for (String stop : stops) {
            for (int len = Math.min(stop.length() - 1, text.length()); len > held; len--) {
                if (text.endsWith(stop.substring(0, len))) {
                    held = len;
                    break;
                }
            }
        }
        return held;
    }

    private String take(String text, int end) {
        if (end <= emitted) {
            return "";
        }
        String piece = text.substring(emitted, end);
        emitted = end;
        return piece;
    }
}
