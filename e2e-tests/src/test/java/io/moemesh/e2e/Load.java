package io.moemesh.e2e;

import static org.awaitility.Awaitility.await;

import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Greedy generation on one stream per prompt, without pause, each result checked against its
 * expected tokens. What went wrong (an error, a degraded or inexact result) is collected, not thrown.
 */
final class Load {

    private final MoeMeshClient client;
    private final Map<String, List<Integer>> expected;
    private final int maxTokens;

    Load(MoeMeshClient client, Map<String, List<Integer>> expected, int maxTokens) {
        this.client = client;
        this.expected = expected;
        this.maxTokens = maxTokens;
    }

    /** Result of one run: requests completed, and the problems seen. */
    record Outcome(int completed, List<String> problems) {
    }

    /**
     * Runs until every stream has completed {@code warmup} requests, then runs {@code event}, then until
     * {@code done} holds and every stream has completed {@code after} more requests.
     */
    Outcome around(int warmup, Runnable event, Callable<Boolean> done, int after, Duration limit) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger completed = new AtomicInteger();
        Queue<String> problems = new ConcurrentLinkedQueue<>();
        int streams = expected.size();
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        List<Future<?>> running = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> e : expected.entrySet()) {
            running.add(pool.submit(() -> {
                while (!stop.get()) {
                    try {
                        GenerationResult r = client.generate(greedy(e.getKey()));
                        if (r.degraded() || !r.tokenIds().equals(e.getValue())) {
                            problems.add(e.getKey() + ": degraded=" + r.degraded() + " skipped=" + r.skippedExperts()
                                    + " tokens " + r.tokenIds() + ", expected " + e.getValue());
                        }
                    } catch (RuntimeException ex) {
                        problems.add(e.getKey() + ": " + ex);
                    }
                    completed.incrementAndGet();
                }
            }));
        }
        try {
            await().atMost(limit).pollInterval(Duration.ofMillis(200))
                    .until(() -> completed.get() >= warmup * streams || !problems.isEmpty());
            event.run();
            await().atMost(limit).pollInterval(Duration.ofMillis(500)).until(() -> done.call() || !problems.isEmpty());
            int atDone = completed.get();
            await().atMost(limit).pollInterval(Duration.ofMillis(200))
                    .until(() -> completed.get() >= atDone + after * streams || !problems.isEmpty());
        } finally {
            stop.set(true);
            for (Future<?> f : running) {
                f.get(2, TimeUnit.MINUTES);
            }
            pool.shutdownNow();
        }
        return new Outcome(completed.get(), List.copyOf(problems));
    }

    GenerateOptions greedy(String prompt) {
        return GenerateOptions.builder().prompt(prompt).maxTokens(maxTokens).ignoreEos(true).build();
    }
}
