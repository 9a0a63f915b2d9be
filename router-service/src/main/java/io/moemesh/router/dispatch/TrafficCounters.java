package io.moemesh.router.dispatch;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the remote dispatch has sent and received since start, read as {@link RemoteExperts.Traffic}
 * (which says what each count counts), and the {@link DispatchMetrics} that follows its steps and
 * calls. Layer steps on many threads record here at once; a reader takes a {@link #snapshot()} without
 * stopping them, so the counts of one snapshot may straddle a step that is under way.
 *
 * <p>Kept apart from the dispatch the way resilience4j keeps a breaker's counts in a metrics class
 * beside its state machine: the step says what happened, this class decides what it adds up to.
 */
final class TrafficCounters {

    private final LongAdder calls = new LongAdder();
    private final LongAdder tokenSends = new LongAdder();
    private final LongAdder tokenLayers = new LongAdder();
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder bytesReceived = new LongAdder();
    private final LongAdder layerSteps = new LongAdder();
    private final LongAdder failedCalls = new LongAdder();
    private final LongAdder stepNanos = new LongAdder();
    private final LongAdder sendNanos = new LongAdder();
    private final LongAdder waitNanos = new LongAdder();
    private final LongAdder mergeNanos = new LongAdder();
    private final LongAdder slowestServerNanos = new LongAdder();
    private final StepTimes stepTimes = new StepTimes();
    private volatile DispatchMetrics metrics; // null until a DispatchMetrics follows this dispatch

    /** From now on, {@code next} is told of every layer step, call and endpoint change. */
    void publishTo(DispatchMetrics next) {
        metrics = next;
    }

    /** A Compute call was made with {@code a}'s tokens and {@code bytes} of hidden states. */
    void sent(int layer, Assignment a, long bytes) {
        calls.increment();
        tokenSends.add(a.size());
        bytesSent.add(bytes);
        DispatchMetrics m = metrics;
        if (m != null) {
            m.sent(layer, a);
        }
    }

    /** A call answered with {@code bytes} of partial sums (whether or not they could be used). */
    void received(long bytes) {
        bytesReceived.add(bytes);
    }

    /** A call that was made failed. */
    void failed() {
        failedCalls.increment();
    }

    /**
     * A layer step of {@code tokens} tokens completed; {@code phases} is where its time went. A step
     * that ended in an exception is not recorded: the dense part re-routes it, and counts it then.
     */
    void stepped(int layer, int tokens, RemoteExperts.Phases phases) {
        tokenLayers.add(tokens);
        layerSteps.increment();
        stepTimes.record(phases.stepNanos());
        DispatchMetrics m = metrics;
        if (m != null) {
            m.stepped(layer, phases.stepNanos());
        }
        stepNanos.add(phases.stepNanos());
        sendNanos.add(phases.sendNanos());
        waitNanos.add(phases.waitNanos());
        mergeNanos.add(phases.mergeNanos());
        slowestServerNanos.add(phases.slowestServerNanos());
    }

    /** The endpoint set changed: the following metrics register and drop their per-endpoint meters. */
    void endpointsChanged() {
        DispatchMetrics m = metrics;
        if (m != null) {
            m.endpointsChanged();
        }
    }

    RemoteExperts.Traffic snapshot() {
        return new RemoteExperts.Traffic(calls.sum(), tokenSends.sum(), tokenLayers.sum(), bytesSent.sum(),
                bytesReceived.sum(), layerSteps.sum(), stepTimes.snapshot(), failedCalls.sum(),
                new RemoteExperts.Phases(stepNanos.sum(), sendNanos.sum(), waitNanos.sum(), mergeNanos.sum(),
                        slowestServerNanos.sum()));
    }
}
