package io.moemesh.core.engine;

import io.moemesh.core.tokenizer.TextTokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * The text of one generated sequence, released piece by piece as it becomes final. Text is held
 * back while it ends in U+FFFD (a byte token that stops mid UTF-8 character) or in a prefix of a
 * stop string, so a client never receives characters that are later taken back.
 *
 * <p>Each push decodes a short window of ids, never the whole sequence. The window starts at the
 * <em>prefix</em> offset and the ids from the <em>read</em> offset on are the ones whose text is not
 * settled yet. The text the window adds is the decode of {@code ids[prefix .. count)} beyond the
 * length of the decode of {@code ids[prefix .. read)}: the ids before the read offset are there only
 * as context, because with a SentencePiece decoder a token's text depends on what precedes it (the
 * decoder strips the space that starts the text, and joins byte tokens into characters only as a
 * group). When that text is non-empty and does not end in U+FFFD it is settled: prefix moves to
 * read, and read to the end. A tokenizer that {@linkplain TextTokenizer#decodesPiecewise decodes
 * piecewise} (byte-level BPE) needs no context, so its window starts at the read offset. This is the
 * incremental detokenisation of Hugging Face's text-generation-inference and of vLLM
 * ({@code detokenize_incrementally}). An id that decode leaves out ({@link TextTokenizer#skippedInDecode},
 * a special token such as EOS repeated under {@code ignore_eos}) never enters the window: a window only
 * moves on when it adds text, so a run of them would otherwise be decoded again on every push.
 *
 * <p>{@link #text} is exactly the concatenation of the pieces, {@link #finish}'s included, so a
 * streaming client and a caller of {@code text()} see the same text. That is the decode of every id
 * (cut at the first stop string) for byte-level and SentencePiece decoders, with one exception: a
 * run of byte-fallback tokens (SentencePiece's {@code <0xE2>}) that turns invalid UTF-8, by a stray
 * byte or a character cut short at the end, after part of it was released as complete characters. A
 * full decode then makes every byte of the run U+FFFD; released text stays as it was released.
 */
public final class TextStream {

    private static final char INCOMPLETE = '\uFFFD';

    private final TextTokenizer tokenizer;
    private final List<String> stops;
    private final boolean piecewise;
    private final int longestStop;
    private final StringBuilder text = new StringBuilder(); // the settled text, then what the window adds
    private int[] ids = new int[16];
    private int count;
    private int prefixIds;    // the window: ids[prefixIds .. count), of which ids[prefixIds .. settledIds) is context
    private int prefixChars;  // length of the decode of ids[prefixIds .. settledIds) on its own
    private int settledIds;   // ids[0 .. settledIds) gave text[0 .. settledChars), which no later id changes
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
        if (tokenizer.skippedInDecode(id)) {
            return ""; // no text with or without it: kept out of the window, which a run of them would grow
        }
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, count * 2);
        }
        ids[count++] = id;
        String window = tokenizer.decode(Arrays.copyOfRange(ids, prefixIds, count));
        text.setLength(settledChars);
        if (window.length() > prefixChars) {
            text.append(window, prefixChars, window.length());
        }
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
        if (windowSettles()) {
            settle();
        }
        return take(text, end);
    }

    /**
     * Whether the window's text is final: it does not end in U+FFFD. Without context (piecewise) a window
     * that adds no text settles too; with context it must add text, or the next window's context could be
     * ids that decode to nothing (special tokens), and the decoder would strip its first word's space.
     */
    private boolean windowSettles() {
        boolean grew = text.length() > settledChars;
        return (grew || piecewise) && (!grew || text.charAt(text.length() - 1) != INCOMPLETE);
    }

    private void settle() {
        if (piecewise) {
            prefixIds = count;
            prefixChars = 0;
        } else {
            prefixIds = settledIds;
            prefixChars = tokenizer.decode(Arrays.copyOfRange(ids, prefixIds, count)).length();
        }
        settledIds = count;
        settledChars = text.length();
    }

    public boolean stopped() {
        return finalText != null;
    }

    /** Ends the stream: returns the text still held back, an incomplete character's U+FFFD included. */
    public String finish() {
        if (finalText == null) {
            finalText = text.toString();
        }
        return take(finalText, finalText.length());
    }

    /**
     * The whole text, up to (not including) a stop string: every piece released, joined. Call after
     * {@link #finish()}.
     */
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
