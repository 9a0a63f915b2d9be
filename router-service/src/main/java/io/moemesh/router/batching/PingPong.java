package io.moemesh.router.batching;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * Ping-pong micro-batching (MegaScale-Infer, ByteDance 2025): a step's batch runs as two halves on
 * two threads, the scheduler's and one partner thread. A forward pass alternates dense work (attention,
 * gate) with waiting for the experts of each MoE layer; with two halves in flight, one half's dense
 * part runs while the other half's expert calls are on the wire, and the experts get two smaller
 * calls per layer instead of one. Each token's result does not depend on the batch it ran in (the
 * kernels are batch-invariant, ADR 0001), so the tokens are the same as with one batch.
 *
 * <p>A step with fewer than {@code minTokens} tokens, or of one request, runs as one batch on the
 * calling thread. When either half throws, the other half is waited for (its requests' KV caches must
 * not be written while the caller re-runs them) and the first failure is thrown: the scheduler then
 * runs each request alone, as it does for a failed single-batch step. An interrupt of the calling
 * thread interrupts the partner too and is passed on once both halves have stopped.
 */
final class PingPong implements AutoCloseable {

    private final int minTokens;
    private final ExecutorService partner;

    /** @param minTokens steps with at least this many tokens run as two halves; 0 turns ping-pong off */
    PingPong(int minTokens) {
        if (minTokens < 0) {
            throw new IllegalArgumentException("the ping-pong threshold must be >= 0 tokens (0 = off), got " + minTokens);
        }
        this.minTokens = minTokens;
        this.partner = minTokens == 0 ? null
                : Executors.newSingleThreadExecutor(Thread.ofPlatform().name("router-ping-pong").daemon().factory());
    }

    boolean enabled() {
        return partner != null;
    }

    /**
     * Runs {@code forward} over {@code batch}, as two halves when the step is large enough, and returns
     * the logit rows in batch order.
     *
     * @param tokens how many tokens a request adds to the step (its prompt, or 1 while decoding)
     */
    <R> float[] forward(List<R> batch, ToIntFunction<R> tokens, Function<List<R>, float[]> forward) {
        int split = split(batch, tokens);
        if (split < 0) {
            return forward.apply(batch);
        }
        Half second = new Half();
        List<R> rest = batch.subList(split, batch.size());
        Future<float[]> result = partner.submit(() -> second.run(() -> forward.apply(rest)));
        float[] first = null;
        Throwable failure = null;
        try {
            first = forward.apply(batch.subList(0, split));
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        boolean interrupted = second.awaitUninterruptibly();
        float[] last = null;
        try {
            last = result.get(); // done: the half has returned or thrown
        } catch (ExecutionException e) {
            if (failure == null) {
                failure = e.getCause();
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException("ping-pong half failed", failure);
        }
        float[] logits = new float[first.length + last.length];
        System.arraycopy(first, 0, logits, 0, first.length);
        System.arraycopy(last, 0, logits, first.length, last.length);
        return logits;
    }

    /**
     * Where the second half starts: the first request at which half the step's tokens have been
     * reached, so that a long prompt does not leave one half empty of work; -1 for one batch.
     */
    <R> int split(List<R> batch, ToIntFunction<R> tokens) {
        if (partner == null || batch.size() < 2) {
            return -1;
        }
        int total = 0;
        for (R r : batch) {
            total += tokens.applyAsInt(r);
        }
        if (total < minTokens) {
            return -1;
        }
        int seen = 0;
        for (int i = 0; i < batch.size() - 1; i++) {
            seen += tokens.applyAsInt(batch.get(i));
            if (2 * seen >= total) {
                return i + 1;
            }
        }
        return batch.size() - 1;
    }

    /**
     * The partner's half: it always runs to its end once submitted (the executor is this class's
     * own, so it is never refused or dropped), and the caller waits for that end before it returns.
     */
    private static final class Half {
        private final CountDownLatch done = new CountDownLatch(1);
        private final AtomicReference<Thread> runner = new AtomicReference<>();
        private volatile boolean stop;

        float[] run(Supplier<float[]> work) {
            try {
                runner.set(Thread.currentThread());
                if (stop) {
                    Thread.currentThread().interrupt();
                }
                return work.get();
            } finally {
                done.countDown();
            }
        }

        /** Waits for the half to end; an interrupt is passed on to the partner thread and reported, not thrown. */
        boolean awaitUninterruptibly() {
            boolean interrupted = false;
            while (true) {
                try {
                    done.await();
                    return interrupted;
                } catch (InterruptedException e) {
                    interrupted = true;
                    stop = true; // a half that has not started interrupts itself when it does
                    Thread t = runner.get();
                    if (t != null) {
                        t.interrupt(); // its expert calls end with CANCELLED, then it returns
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        if (partner != null) {
            partner.shutdownNow();
        }
    }
}
