package io.moemesh.expert.compute;

import io.moemesh.core.model.LocalExperts;
import io.moemesh.expert.batching.QueuedWork;
import io.moemesh.expert.batching.RejectedWorkException;
import io.moemesh.expert.batching.RejectedWorkException.Reason;
import io.moemesh.service.AsyncFailures;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request whose work is queued: completes with the combined output once every unit has answered,
 * or fails as soon as one unit's work fails (and drops the rest). It always completes: a failure
 * while combining the outputs fails it with INTERNAL instead of vanishing into a future nobody reads.
 */
public final class ComputeCall {

    private static final Logger LOG = LoggerFactory.getLogger(ComputeCall.class);

    private final int rows;
    private final int hiddenSize;
    private final List<ExpertGroup> groups;
    private final List<QueuedWork> work;
    private final float[][] outputs;
    private final AtomicInteger remaining;
    private final CompletableFuture<float[]> result = new CompletableFuture<>();

    /** @param rows rows of the answer: per token one, or one per expert for a token asking for per-unit outputs */
    ComputeCall(int rows, int hiddenSize, List<ExpertGroup> groups, List<QueuedWork> work) {
        this.rows = rows;
        this.hiddenSize = hiddenSize;
        this.groups = groups;
        this.work = work;
        this.outputs = new float[groups.size()][];
        this.remaining = new AtomicInteger(groups.size());
        for (int i = 0; i < work.size(); i++) {
            int part = i;
            work.get(i).result().whenComplete((partRows, error) -> completeWith(part, partRows, error));
        }
    }

    /** {@code [rows × hidden]} F32 output; fails with a {@link ComputeException}. */
    public CompletableFuture<float[]> result() {
        return result;
    }

    /** The caller went away or its deadline passed: drop whatever is still queued. */
    public void cancel(boolean deadlineExpired) {
        Reason reason = deadlineExpired ? Reason.DEADLINE_EXCEEDED : Reason.CANCELLED;
        String message = deadlineExpired
                ? "the deadline expired while the request was queued; allow a longer deadline or add replicas"
                : "the caller cancelled the request";
        result.completeExceptionally(ComputeException.from(new RejectedWorkException(reason, message)));
        work.forEach(queued -> queued.drop(reason, message));
    }

    private void completeWith(int part, float[] rows, Throwable error) {
        try {
            onPartDone(part, rows, error);
        } catch (RuntimeException | Error e) {
            LOG.error("combining the experts' outputs of a request failed", e);
            fail(new ComputeException(ComputeException.Kind.INTERNAL, "combining the experts' outputs failed: " + e
                    + "; see the expert service log"));
        }
    }

    private void onPartDone(int part, float[] rows, Throwable error) {
        if (error != null) {
            Throwable cause = AsyncFailures.cause(error);
            fail(cause instanceof RejectedWorkException rejected
                    ? ComputeException.from(rejected)
                    : new ComputeException(ComputeException.Kind.INTERNAL, "expert compute failed: " + cause));
            return;
        }
        outputs[part] = rows;
        if (remaining.decrementAndGet() == 0) {
            result.complete(combine());
        }
    }

    private void fail(ComputeException failure) {
        if (result.completeExceptionally(failure)) {
            work.forEach(queued -> queued.drop(Reason.CANCELLED, "another unit of the request failed"));
        }
    }

    /**
     * {@code out[row] += w · y} in ascending expert order, starting from zero: exactly the sums
     * {@code LocalExperts.combine} forms for the same token (groups are sorted by expert). A token
     * asking for per-unit outputs has a row per expert, which gets {@code 0 + w · y} alone.
     */
    private float[] combine() {
        float[] out = new float[rows * hiddenSize];
        for (int g = 0; g < groups.size(); g++) {
            ExpertGroup group = groups.get(g);
            float[] y = outputs[g];
            for (int i = 0; i < group.tokens().length; i++) {
                LocalExperts.addWeighted(group.weights()[i], y, i * hiddenSize, out,
                        group.outputRows()[i] * hiddenSize, hiddenSize);
            }
        }
        return out;
    }
}
