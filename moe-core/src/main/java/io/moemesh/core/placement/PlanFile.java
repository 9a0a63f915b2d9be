package io.moemesh.core.placement;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A plan's partner units as a text file, in the expert service's own spelling of them
 * ({@code moemesh.expert.extra-units=EXPERT:LAYER,...}), so a plan can be read by a person and handed
 * to {@code moe up --plan}. One line per service that hosts partners; {@code #} starts a comment:
 *
 * <pre>
 * # service=EXPERT:LAYER,...   (partner units only; every service also hosts its own expert of every layer)
 * 3=7:1,9:2
 * </pre>
 */
public final class PlanFile {

    private PlanFile() {
    }

    /** The partner units of each service: its hosted units other than its own expert. */
    public static String format(PlacementPlan plan) {
        StringBuilder out = new StringBuilder(
                "# service=EXPERT:LAYER,...   (partner units only; every service also hosts its own expert of every layer)\n");
        for (int s = 0; s < plan.hosted().size(); s++) {
            List<Unit> partners = new ArrayList<>();
            for (Unit u : plan.hosted().get(s)) {
                if (u.expert() != s) {
                    partners.add(u);
                }
            }
            if (!partners.isEmpty()) {
                out.append(s).append('=').append(spell(partners)).append('\n');
            }
        }
        return out.toString();
    }

    /** {@code EXPERT:LAYER,...}: the spelling of units in plan files and in {@code moemesh.expert.extra-units}. */
    public static String spell(Collection<Unit> units) {
        return units.stream().map(u -> u.expert() + ":" + u.layer()).collect(Collectors.joining(","));
    }

    /**
     * The inverse of {@link #spell}: {@code EXPERT:LAYER,...} (blank = none).
     *
     * @throws IllegalArgumentException naming the entry that is not {@code EXPERT:LAYER}
     */
    public static SortedSet<Unit> units(String spelled) {
        SortedSet<Unit> units = new TreeSet<>();
        if (spelled.isBlank()) {
            return units;
        }
        for (String unit : spelled.split(",", -1)) { // -1: an empty entry ("7:1,") is an error, not nothing
            String[] parts = unit.strip().split(":", -1);
            try {
                if (parts.length != 2) {
                    throw new NumberFormatException();
                }
                units.add(new Unit(index(parts[1]), index(parts[0])));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + unit.strip() + "' is not EXPERT:LAYER (e.g. 7:1)");
            }
        }
        return units;
    }

    /** A service, expert or layer index: ASCII digits only ({@code parseInt} alone takes "-1", "+1", "١"). */
    private static int index(String text) {
        String digits = text.strip();
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new NumberFormatException("not a non-negative integer: '" + digits + "'");
        }
        return Integer.parseInt(digits);
    }

    public static void write(Path file, PlacementPlan plan) {
        try {
            Files.writeString(file, format(plan));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plan " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Partner units by service, from {@link #format}'s text.
     *
     * @throws IllegalArgumentException naming the line that is not {@code SERVICE=EXPERT:LAYER,...}
     */
    public static TreeMap<Integer, SortedSet<Unit>> parse(String text) {
        TreeMap<Integer, SortedSet<Unit>> partners = new TreeMap<>();
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n].replaceFirst("#.*", "").strip();
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            try {
                int service = index(line.substring(0, Math.max(eq, 0)));
                partners.computeIfAbsent(service, s -> new TreeSet<>()).addAll(units(line.substring(eq + 1)));
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                throw new IllegalArgumentException("plan line " + (n + 1) + " is '" + lines[n].strip()
                        + "'; expected SERVICE=EXPERT:LAYER,... (e.g. 3=7:1,9:2)");
            }
        }
        return partners;
    }

    public static TreeMap<Integer, SortedSet<Unit>> read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read plan " + file + ": " + e.getMessage(), e);
        }
    }
}
