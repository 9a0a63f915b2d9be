package io.moemesh.router.discovery.file;

import io.moemesh.router.dispatch.ExpertEndpoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The content of an experts file: one {@code host:port} per line (an IPv6 host in brackets,
 * {@code [::1]:50061}), blank lines ignored, everything from a {@code #} to the end of its line a
 * comment. Each target is its own endpoint id, so a target may appear once only. {@code moe up} and
 * the placement controller write it; {@link FileExpertDiscovery} reads it.
 */
public final class ExpertsFile {

    private static final Pattern TARGET = Pattern.compile("(?:[^:\\s\\[\\]#]+|\\[[0-9A-Fa-f:.]+\\]):(\\d{1,5})");

    private ExpertsFile() {
    }

    /**
     * The endpoints {@code content} lists, in file order.
     *
     * @throws MalformedLineException for the first line that is neither blank, a comment nor a
     *                                {@code host:port} seen for the first time
     */
    public static List<ExpertEndpoint> parse(String content) {
        List<ExpertEndpoint> endpoints = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        String[] lines = content.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            int number = i + 1;
            String line = lines[i];
            int hash = line.indexOf('#');
            String target = (hash < 0 ? line : line.substring(0, hash)).strip();
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
            endpoints.add(new ExpertEndpoint(target, target));
        }
        return List.copyOf(endpoints);
    }

    /** A line of an experts file that is no endpoint: its number (from 1) and what is wrong with it. */
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
