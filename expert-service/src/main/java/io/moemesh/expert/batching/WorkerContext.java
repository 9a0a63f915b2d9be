package io.moemesh.expert.batching;

import java.util.concurrent.ScheduledExecutorService;

/** What every unit queue shares: the FFN, the policy, the clock, the worker pool, its health and the work's spans. */
record WorkerContext(FfnRunner runner, BatchingPolicy policy, Ticker ticker, ScheduledExecutorService executor,
        WorkerHealth health, WorkSpans spans) {
}
