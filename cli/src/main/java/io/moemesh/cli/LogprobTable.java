package io.moemesh.cli;

import io.moemesh.client.TokenLogprob;
import io.moemesh.client.TopLogprob;
import io.moemesh.core.engine.TokenLogprobs;
import io.moemesh.core.tokenizer.TextTokenizer;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code moe generate --logprobs}: the per-token table printed after the text, one line a token with its
 * log probability and its most likely alternatives. A token is shown as its exact bytes, quoted and
 * escaped: a byte-level token may be half of a UTF-8 character, which would otherwise print as U+FFFD
 * (or garble the terminal), so bytes that are not valid UTF-8 on their own are written {@code \xC3}.
 */
final class LogprobTable {

    private LogprobTable() {
    }

    static void print(List<TokenLogprob> logprobs, PrintWriter out) {
        boolean alternatives = logprobs.stream().anyMatch(t -> !t.top().isEmpty());
        out.println("    #  token                 logprob" + (alternatives ? "  top alternatives" : ""));
        for (int i = 0; i < logprobs.size(); i++) {
            TokenLogprob token = logprobs.get(i);
            StringBuilder line = new StringBuilder(
                    String.format(Locale.ROOT, "%5d  %-20s %8.4f", i, quoted(token.bytes()), token.logprob()));
            if (alternatives) {
                line.append(' ');
                for (TopLogprob top : token.top()) {
                    line.append(' ').append(quoted(top.bytes()))
                            .append(String.format(Locale.ROOT, " %.4f", top.logprob()));
                }
            }
            out.println(line);
        }
        out.flush();
    }

    /** The engine's log probabilities of one sequence as the SDK's, each token with its bytes from the tokenizer. */
    static List<TokenLogprob> fromEngine(List<TokenLogprobs> logprobs, TextTokenizer tokenizer) {
        List<TokenLogprob> tokens = new ArrayList<>(logprobs.size());
        for (TokenLogprobs t : logprobs) {
            List<TopLogprob> top = new ArrayList<>(t.topIds().length);
            for (int k = 0; k < t.topIds().length; k++) {
                top.add(new TopLogprob(t.topIds()[k], t.topLogprobs()[k], tokenizer.tokenBytes(t.topIds()[k])));
            }
            tokens.add(new TokenLogprob(t.token(), t.logprob(), tokenizer.tokenBytes(t.token()), top));
        }
        return tokens;
    }

    /**
     * {@code bytes} in double quotes: valid UTF-8 as its characters, with {@code \n \r \t \" \\} and other
     * control characters escaped ({@code \u001b}); every byte of an invalid or incomplete sequence as {@code \xNN}.
     */
    static String quoted(byte[] bytes) {
        StringBuilder text = new StringBuilder("\"");
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer chars = CharBuffer.allocate(bytes.length + 1);
        while (true) {
            CoderResult result = decoder.decode(in, chars, true);
            escape(chars.flip(), text);
            chars.clear();
            if (result.isUnderflow()) {
                break;
            }
            if (result.isOverflow()) { // not with a buffer of one char a byte, but then: read on
                continue;
            }
            for (int k = 0; k < result.length(); k++) {
                text.append(String.format(Locale.ROOT, "\\x%02X", in.get() & 0xff));
            }
        }
        return text.append('"').toString();
    }

    private static void escape(CharBuffer chars, StringBuilder text) {
        while (chars.hasRemaining()) {
            char c = chars.get();
            switch (c) {
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                case '\t' -> text.append("\\t");
                case '"' -> text.append("\\\"");
                case '\\' -> text.append("\\\\");
                default -> {
                    if (Character.isISOControl(c)) {
                        text.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        text.append(c);
                    }
                }
            }
        }
    }
}
