package io.moemesh.testing;

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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Greedy generation through a gateway on one stream per prompt, without pause, each result checked
 * against its expected tokens (EOS ignored). What went wrong (an error, a degraded or inexact result)
 * is collected, not thrown, so a test can assert that nothing did.
 */
public final class Load {

    /** A request that has not finished by then counts as a problem instead of holding the run up. */
    private static final Duration REQUEST_DEADLINE = Duration.ofSeconds(90);

    private final MoeMeshClient client;
    private final Map<String, List<Integer>> expected;
    private final int maxTokens;

    /** {@code expected}: prompt → its tokens; one stream per prompt, {@code maxTokens} tokens per request. */
    public Load(MoeMeshClient client, Map<String, List<Integer>> expected, int maxTokens) {
        this.client = client;
        this.expected = Map.copyOf(expected);
        this.maxTokens = maxTokens;
    }

    /** Result of one run: requests completed (successfully or not), and the problems seen. */
    public record Outcome(int completed, List<String> problems) {
    }

    /**
     * Runs until the streams together have completed {@code before} requests per stream, runs {@code event}
     * (on this thread, while the streams go on), then runs until {@code done} holds (exceptions it throws
     * count as not yet) and the streams together have completed {@code after} more requests per stream.
     * Each of the three waits gives up after {@code limit}; a problem ends the run early.
     */
    public Outcome around(int before, Runnable event, Callable<Boolean> done, int after, Duration limit)
            throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger completed = new AtomicInteger();
        Queue<String> problems = new ConcurrentLinkedQueue<>();
        int streams = expected.size();
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (Map.Entry<String, List<Integer>> e : expected.entrySet()) {
                running.add(pool.submit(() -> {
                    while (!stop.get()) {
                        check(e.getKey(), e.getValue(), problems);
                        completed.incrementAndGet();
                    }
                }));
            }
            try {
                await().atMost(limit).pollInterval(Duration.ofMillis(200))
                        .until(() -> completed.get() >= before * streams || !problems.isEmpty());
                event.run();
                await().atMost(limit).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                        .until(() -> done.call() || !problems.isEmpty());
                int atDone = completed.get();
                await().atMost(limit).pollInterval(Duration.ofMillis(200))
                        .until(() -> completed.get() >= atDone + after * streams || !problems.isEmpty());
            } finally {
                stop.set(true);
                for (Future<?> f : running) {
                    try {
                        f.get(REQUEST_DEADLINE.toSeconds() + 30, TimeUnit.SECONDS);
                    } catch (ExecutionException | TimeoutException e) {
                        problems.add("a stream did not end: " + e);
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return new Outcome(completed.get(), List.copyOf(problems));
    }

    private void check(String prompt, List<Integer> tokens, Queue<String> problems) {
        try {
            GenerationResult r = client.generate(greedy(prompt));
            if (r.degraded() || !r.tokenIds().equals(tokens)) {
                problems.add(prompt + ": degraded=" + r.degraded() + " skipped=" + r.skippedExperts() + " tokens "
                        + r.tokenIds() + ", expected " + tokens);
            }
        } catch (RuntimeException ex) {
            problems.add(prompt + ": " + ex);
        }
    }

    /** The request each stream sends for {@code prompt}. */
    public GenerateOptions greedy(String prompt) {
        return GenerateOptions.builder().prompt(prompt).maxTokens(maxTokens).ignoreEos(true)
                .deadline(REQUEST_DEADLINE).build();
    }
}
