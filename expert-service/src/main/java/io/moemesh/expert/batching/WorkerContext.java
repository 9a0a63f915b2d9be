package io.moemesh.expert.batching;

import java.util.concurrent.ScheduledExecutorService;

/** What every unit queue shares: the FFN, the policy, the clock and the worker pool. */
record WorkerContext(FfnRunner runner, BatchingPolicy policy, Ticker ticker, ScheduledExecutorService executor) {
}
