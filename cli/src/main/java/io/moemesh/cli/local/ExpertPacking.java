package io.moemesh.cli.local;

import java.util.Locale;

/**
 * How many experts one local expert process hosts: a fixed number, or {@code auto}, which keeps
 * the number of expert processes (per replica) at most {@link #MAX_AUTO_PROCESSES}: one expert per
 * process up to 16 experts (the shipped model, the Kubernetes shape), 4 per process for 64 experts,
 * 8 for 128. Every JVM costs its own heap, code cache and JIT threads (docs/performance.md,
 * "Many experts on one machine"), which is what bounds a machine with 64–128 experts, not the
 * experts' weights, which every process maps from the same checkpoint file.
 */
public record ExpertPacking(int fixed) {

    /** The most expert processes per replica that {@code auto} starts. */
    public static final int MAX_AUTO_PROCESSES = 16;
    private static final int AUTO = 0;

    public ExpertPacking {
        if (fixed < AUTO) {
            throw new IllegalArgumentException("experts per process must be at least 1, got " + fixed);
        }
    }

    public static ExpertPacking auto() {
        return new ExpertPacking(AUTO);
    }

    public static ExpertPacking of(int perProcess) {
        if (perProcess < 1) {
            throw new IllegalArgumentException("experts per process must be at least 1, got " + perProcess);
        }
        return new ExpertPacking(perProcess);
    }

    /** {@code auto} or a positive number, as {@code --experts-per-process} spells it. */
    public static ExpertPacking parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("auto")) {
            return auto();
        }
        try {
            return of(Integer.parseInt(t));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("experts per process must be auto or a number, got '" + text + "'");
        }
    }

    public boolean isAuto() {
        return fixed == AUTO;
    }

    /**
     * Experts per process for a model of {@code numExperts}: auto gives ceil(numExperts / 16); a
     * fixed N must not exceed the expert count. N need not divide it: the last process then hosts
     * the remainder (N = 5 of 16 experts: 5, 5, 5, 1), as {@link ExpertGroup#split} does.
     */
    public int perProcess(int numExperts) {
        if (isAuto()) {
            return Math.max(1, (numExperts + MAX_AUTO_PROCESSES - 1) / MAX_AUTO_PROCESSES);
        }
        if (fixed > numExperts) {
            throw new IllegalArgumentException(fixed + " experts per process is more than the model's " + numExperts
                    + " experts: use 1.." + numExperts + " or auto");
        }
        return fixed;
    }

    @Override
    public String toString() {
        return isAuto() ? "auto" : String.valueOf(fixed);
    }
}
