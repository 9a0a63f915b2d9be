package io.moemesh.expert.grpc;

import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.expert.batching.ExpertFfnRunner;
import io.moemesh.expert.batching.FfnRunner;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The real FFN, spied on: records every batch size, and holds the first forward pass until the
 * test releases it, so that other requests pile up in the queue behind it.
 */
public final class GatedFfnRunner implements FfnRunner {

    private final FfnRunner delegate = new ExpertFfnRunner(Kernels.best());
    private final CountDownLatch firstStarted = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<Integer> batchSizes = new CopyOnWriteArrayList<>();

    @Override
    public void forward(ExpertWeights weights, float[] x, int tokens, float[] out) {
        batchSizes.add(tokens);
        if (firstStarted.getCount() > 0) {
            firstStarted.countDown();
            await(release);
        }
        delegate.forward(weights, x, tokens, out);
    }

    public void awaitFirstStarted() {
        await(firstStarted);
    }

    public void release() {
        release.countDown();
    }

    /** Tokens of each forward pass so far, in the order they started. */
    public List<Integer> batchSizes() {
        return List.copyOf(batchSizes);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
