package io.moemesh.router.tracing;

import java.util.function.LongSupplier;

/**
 * How many forward steps per second may be traced ({@code moemesh.router.traced-steps-per-second}).
 *
 * <p>Why a budget: sampling is per request (the gateway decides), but one step serves the whole batch,
 * and a step is traced when any request in it is sampled. At sampling 0.1 and 32 concurrent streams
 * nearly every step held a sampled request, and a traced step makes {@code 1 + L × (1 + E)} router spans,
 * the experts' spans, and sends its Compute calls unary instead of on the per-endpoint stream (the
 * trace context travels in a call's headers): decode ran at about half its tokens/s
 * (docs/observability.md, "Where traces start, and sampling").
 *
 * <p>Why a rate rather than one step in K: a rate bounds what tracing costs per second, and what the
 * collector stores, whatever the batch size and load; one in K would trace more steps the faster the
 * router runs, and trace almost nothing of a quiet router. The bucket holds one second of steps (at least
 * one), starts full, and refills with the injected clock, so a burst traces at most one second's worth.
 *
 * <p>Thread-safe: the two halves of a ping-pong step ask from two threads, each for itself (each half
 * is a forward pass with its own {@code moemesh.step} span), so a split step may have one half traced.
 * Asking allocates nothing.
 */
public final class StepTraceBudget {

    /** The property value that means "trace every step that holds a sampled request", for debugging. */
    public static final double UNLIMITED = -1;

    /**
     * The default rate. On the 2-vCPU build machine a traced step took about twice an untraced one (74 ms
     * against 40 at 32 streams, 12 against 7 at one; bench/results/decode-2026-12-06-issue20-*), and the
     * router ran 25 (32 streams) to 140 (one stream) steps a second: one traced step a second costs a few
     * percent of a busy router's steps, where 10 would cost about a third. One step a second still shows
     * a step's layer steps and expert calls every second, which is what a reader of one trace looks for.
     */
    public static final double DEFAULT_PER_SECOND = 1;

    /** The highest finite rate: one step per microsecond, far above any router's step rate. */
    public static final double MAX_PER_SECOND = 1_000_000;

    private static final long SECOND = 1_000_000_000L;
    private static final StepTraceBudget NO_LIMIT = new StepTraceBudget(UNLIMITED, () -> 0);

    private final double perSecond;
    private final LongSupplier nanoTime;
    private final long nanosPerStep;
    private final long capacity;
    private long credit; // guarded by this: nanos of steps that may be traced now
    private long last; // guarded by this: the clock when credit was last brought up to date

    private StepTraceBudget(double perSecond, LongSupplier nanoTime) {
        this.perSecond = perSecond;
        this.nanoTime = nanoTime;
        this.nanosPerStep = perSecond > 0 ? Math.max(1, Math.round(SECOND / perSecond)) : Long.MAX_VALUE;
        this.capacity = Math.max(SECOND, nanosPerStep);
        this.credit = capacity;
        this.last = perSecond > 0 ? nanoTime.getAsLong() : 0;
    }

    /**
     * At most {@code perSecond} traced steps a second by {@code nanoTime}; 0 never traces a step,
     * {@link #UNLIMITED} traces every one.
     *
     * @throws IllegalArgumentException for a rate that is none of those, or above {@link #MAX_PER_SECOND}
     */
    public static StepTraceBudget perSecond(double perSecond, LongSupplier nanoTime) {
        check(perSecond, "traced steps per second");
        return perSecond == UNLIMITED ? NO_LIMIT : new StepTraceBudget(perSecond, nanoTime);
    }

    /** Every step that holds a sampled request is traced. */
    public static StepTraceBudget unlimited() {
        return NO_LIMIT;
    }

    /** Checks a rate as {@link #perSecond} takes it, naming it {@code name} in the message. */
    public static void check(double perSecond, String name) {
        if (!(perSecond == UNLIMITED || perSecond >= 0 && perSecond <= MAX_PER_SECOND)) {
            throw new IllegalArgumentException(name + " must be " + (long) UNLIMITED
                    + " (no limit), 0 (never trace a step) or a rate up to " + (long) MAX_PER_SECOND
                    + " steps per second (e.g. 0.5, 1, 10), got " + perSecond);
        }
    }

    /** The rate; {@link #UNLIMITED} for none. */
    public double perSecond() {
        return perSecond;
    }

    /** Takes one step from the budget: true when the step may be traced. */
    public boolean tryTrace() {
        if (perSecond == UNLIMITED) {
            return true;
        }
        if (perSecond == 0) {
            return false;
        }
        synchronized (this) {
            long now = nanoTime.getAsLong();
            long elapsed = Math.max(0, now - last);
            credit = elapsed >= capacity - credit ? capacity : credit + elapsed;
            last = now;
            if (credit < nanosPerStep) {
                return false;
            }
            credit -= nanosPerStep;
            return true;
        }
    }
}
