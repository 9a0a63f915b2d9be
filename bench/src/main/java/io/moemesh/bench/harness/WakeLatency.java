package io.moemesh.bench.harness;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * The machine's floor for handing work between two threads: a round trip of two parks and unparks
 * (two wake-ups), optionally after an idle gap, so that the cost of waking a thread whose core went
 * idle shows. Every hop of a remote call (scheduler → transport → expert transport → back) pays at
 * least one such wake-up per side.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.moemesh.bench.harness.WakeLatency [gap_micros] [round_trips]</pre>
 */
public final class WakeLatency {

    private static volatile int turn;

    public static void main(String[] args) {
        long gapNanos = 1_000L * (args.length > 0 ? Long.parseLong(args[0]) : 0);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        Thread caller = Thread.currentThread();
        Thread other = Thread.ofPlatform().daemon().start(() -> {
            while (true) {
                while (turn != 1) {
                    LockSupport.park();
                }
                turn = 0;
                LockSupport.unpark(caller);
            }
        });
        long[] rtt = new long[n];
        for (int i = 0; i < n; i++) {
            if (gapNanos > 0) {
                LockSupport.parkNanos(gapNanos);
            }
            long start = System.nanoTime();
            turn = 1;
            LockSupport.unpark(other);
            while (turn != 0) {
                LockSupport.park();
            }
            rtt[i] = System.nanoTime() - start;
        }
        long[] warm = Arrays.copyOfRange(rtt, n / 4, n); // the first quarter warms the JIT
        System.out.printf(Locale.ROOT, "thread round trip (two wake-ups) after a %d µs gap: p50 %.1f µs, p90 %.1f µs,"
                + " p99 %.1f µs%n", gapNanos / 1000, Measurements.quantile(warm, 0.5) / 1e3,
                Measurements.quantile(warm, 0.9) / 1e3, Measurements.quantile(warm, 0.99) / 1e3);
    }
}
