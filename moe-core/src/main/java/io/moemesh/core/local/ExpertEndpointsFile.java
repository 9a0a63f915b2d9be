package io.moemesh.core.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code <state-dir>/expert-endpoints}: the expert endpoints the router calls in local mode
 * ({@code moemesh.router.discovery=file}). One {@code host:port} per line (an IPv6 host in brackets,
 * {@code [::1]:50061}), blank lines ignored, everything from a {@code #} to the end of its line a
 * comment. Each target is its own endpoint id, so a target may appear once only.
 *
 * <p>{@code moe up} writes it before it starts the router, and the placement controller rewrites it
 * when it starts or stops an expert process; both replace it whole ({@link AtomicFile}), so the
 * router, which follows its changes, never reads half a list.
 */
public final class ExpertEndpointsFile {

    public static final String NAME = "expert-endpoints";

    private static final String HEADER = "# expert endpoints the router calls (moemesh.router.discovery=file),"
            + " one host:port per line;\n# written by moe up, rewritten by the placement controller as it starts"
            + " and stops expert processes\n";
    private static final Pattern TARGET = Pattern.compile("(?:[^:\\s\\[\\]#]+|\\[[0-9A-Fa-f:.]+\\]):(\\d{1,5})");

    private ExpertEndpointsFile() {
    }

    /** The endpoints file of the local cluster whose state directory is {@code stateDir}. */
    public static Path in(Path stateDir) {
        return stateDir.resolve(NAME);
    }

    /**
     * The targets {@code content} lists, in file order.
     *
     * @throws MalformedLineException for the first line that is neither blank, a comment nor a
     *                                {@code host:port} seen for the first time
     */
    public static List<String> parse(String content) {
        List<String> targets = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        String[] lines = content.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            int number = i + 1;
            int hash = lines[i].indexOf('#');
            String target = (hash < 0 ? lines[i] : lines[i].substring(0, hash)).strip();
            if (target.isEmpty()) {
                continue;
            }
            var m = TARGET.matcher(target);
            if (!m.matches()) {
                throw new MalformedLineException(number, "'" + target + "' is not host:port");
            }
            int port = Integer.parseInt(m.group(1));
            if (port < 1 || port > 65_535) {
                throw new MalformedLineException(number, "'" + target + "' has port " + port + ", outside 1..65535");
            }
            Integer first = seen.putIfAbsent(target, number);
            if (first != null) {
                throw new MalformedLineException(number, "'" + target + "' is listed already on line " + first
                        + " (each endpoint once)");
            }
            targets.add(target);
        }
        return List.copyOf(targets);
    }

    /** Whether {@code target} is a {@code host:port} this format accepts on a line (any port number). */
    static boolean isTarget(String target) {
        return TARGET.matcher(target).matches();
    }

    /**
     * The targets {@code file} lists; none when there is no file yet (a caller for which a missing
     * file is an error, the router at start-up, reads it itself).
     *
     * @throws MalformedLineException as {@link #parse(String)}
     * @throws UncheckedIOException   when the file exists but cannot be read
     */
    public static List<String> read(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the endpoints file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Replaces {@code file} with a header comment and {@code targets}, one per line, atomically. */
    public static void write(Path file, List<String> targets) {
        StringBuilder text = new StringBuilder(HEADER);
        targets.forEach(t -> text.append(t).append('\n'));
        AtomicFile.write(file, text.toString());
    }

    /** A line of an endpoints file that is no endpoint: its number (from 1) and what is wrong with it. */
    public static final class MalformedLineException extends IllegalArgumentException {

        private final int line;

        MalformedLineException(int line, String problem) {
            super("line " + line + ": " + problem);
            this.line = line;
        }

        public int line() {
            return line;
        }
    }
}
