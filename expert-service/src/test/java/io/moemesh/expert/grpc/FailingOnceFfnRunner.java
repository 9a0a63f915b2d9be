package io.moemesh.expert.grpc;

import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.expert.batching.ExpertFfnRunner;
import io.moemesh.expert.batching.FfnRunner;
import java.util.concurrent.atomic.AtomicReference;

/** The real FFN, except that its first forward pass throws the given exception or error. */
public final class FailingOnceFfnRunner implements FfnRunner {

    private final FfnRunner delegate = new ExpertFfnRunner(Kernels.best());
    private final AtomicReference<Throwable> next;

    private FailingOnceFfnRunner(Throwable failure) {
        this.next = new AtomicReference<>(failure);
    }

    public static FailingOnceFfnRunner throwing(RuntimeException failure) {
        return new FailingOnceFfnRunner(failure);
    }

    public static FailingOnceFfnRunner throwing(Error failure) {
        return new FailingOnceFfnRunner(failure);
    }

    @Override
    public void forward(ExpertWeights weights, float[] x, int tokens, float[] out) {
        Throwable failure = next.getAndSet(null);
        if (failure instanceof Error error) {
            throw error;
        }
        if (failure instanceof RuntimeException exception) {
            throw exception;
        }
        delegate.forward(weights, x, tokens, out);
    }
}
