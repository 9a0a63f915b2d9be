package io.moemesh.core.engine;

import io.moemesh.core.tokenizer.TextTokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * The text of one generated sequence, released piece by piece as it becomes final. Text is held
 * back while it ends in U+FFFD (a byte-level token that stops mid UTF-8 character) or in a prefix of
 * a stop string, so a client never receives characters that are later taken back.
 *
 * <p>Each push decodes only the ids since the text last ended on a complete character, where the
 * tokenizer allows it ({@link TextTokenizer#decodesPiecewise()}); otherwise the whole sequence, as
 * the text of a token may depend on the tokens before it. Either way {@link #text} is the decode of
 * every id so far.
 */
public final class TextStream {

    private static final char INCOMPLETE = '\uFFFD';

    private final TextTokenizer tokenizer;
    private final List<String> stops;
    private final boolean piecewise;
    private final int longestStop;
    private final StringBuilder text = new StringBuilder(); // the decode of ids[0 .. count)
    private int[] ids = new int[16];
    private int count;
    private int settledIds;   // ids[0 .. settledIds) decode to text[0 .. settledChars), which no later id changes
    private int settledChars;
    private int emitted;
    private String finalText;

    public TextStream(TextTokenizer tokenizer, List<String> stops) {
        this.tokenizer = tokenizer;
        this.stops = stops;
        this.piecewise = tokenizer.decodesPiecewise();
        this.longestStop = stops.stream().mapToInt(String::length).max().orElse(0);
    }

    /** Adds a generated token; returns the newly final text (possibly empty). */
    public String push(int id) {
        if (finalText != null) {
            throw new IllegalStateException("the stream already ended at a stop string");
        }
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, count * 2);
        }
        ids[count++] = id;
        text.setLength(settledChars);
        text.append(tokenizer.decode(Arrays.copyOfRange(ids, settledIds, count)));
        // The settled text was searched when it was the whole text: a stop can only end after it.
        int stopAt = firstStop(Math.max(0, settledChars - longestStop + 1));
        if (stopAt >= 0) {
            finalText = text.substring(0, stopAt);
            return take(finalText, finalText.length());
        }
        int complete = text.length();
        while (complete > emitted && text.charAt(complete - 1) == INCOMPLETE) {
            complete--;
        }
        // Held back before the incomplete character too: that character may turn out to continue a stop.
        int end = complete - heldBackSuffix(complete);
        if (piecewise && (text.isEmpty() || text.charAt(text.length() - 1) != INCOMPLETE)) {
            settledIds = count;
            settledChars = text.length();
        }
        return take(text, end);
    }

    public boolean stopped() {
        return finalText != null;
    }

    /** Ends the stream: returns the text still held back. */
    public String finish() {
        if (finalText == null) {
            finalText = text.toString();
        }
        return take(finalText, finalText.length());
    }

    /** The whole text, up to (not including) a stop string; call after {@link #finish()}. */
    public String text() {
        if (finalText == null) {
            throw new IllegalStateException("the stream has not finished");
        }
        return finalText;
    }

    private int firstStop(int from) {
        int first = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop, from);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        return first;
    }

    /** Length of the longest suffix of {@code text[0 .. length)} that could still grow into a stop string. */
    private int heldBackSuffix(int length) {
        int held = 0;
        for (String stop : stops) {
            for (int len = Math.min(stop.length() - 1, length); len > held; len--) {
                if (endsWithPrefix(length, stop, len)) {
                    held = len;
                    break;
                }
            }
        }
        return held;
    }

    private boolean endsWithPrefix(int length, String stop, int len) {
        int start = length - len;
        for (int i = 0; i < len; i++) {
            if (text.charAt(start + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private String take(CharSequence from, int end) {
        if (end <= emitted) {
            return "";
        }
        String piece = from.subSequence(emitted, end).toString();
        emitted = end;
        return piece;
    }
}
