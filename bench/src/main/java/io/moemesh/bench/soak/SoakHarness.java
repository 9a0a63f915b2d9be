package io.moemesh.bench.soak;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.moemesh.client.ApiKeyCredentials;
import io.moemesh.client.MoeMeshClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A soak of a running {@code moe up} cluster: mixed traffic for {@code --duration} through the
 * gateway (normal, cancelled, slow-reading, over-long and invalid requests from closed-loop workers,
 * bursts over the rate limit), with heap, threads and resident memory of every process and the
 * router's scheduler counters sampled every {@code --sample-every}. Before and after the traffic
 * every greedy and sampled prompt must give the in-process engine's exact tokens; at the end every
 * call must have ended and the router's scheduler must be idle. Every call has a deadline and every
 * wait a bound, so the harness itself cannot hang: a call that never ends is reported, not waited for.
 * Writes {@link SoakSeries} and {@code summary.json} to {@code --out}; exits 1 when a check failed.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar io.moemesh.bench.soak.SoakHarness \
 *     --duration=30m --concurrency=8 --cluster=.moe --out=bench/results/soak-DATE</pre>
 */
public final class SoakHarness {

    /** How long past its deadline a call may still be ending before it counts as overdue. */
    static final Duration GRACE = Duration.ofSeconds(30);
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(90);
    private static final int BURST_LAUNCHERS = 8;
    private static final int HISTOGRAM_LINES = 33;

    /**
     * What {@code moe up} wrote to {@code <state-dir>/cluster.json}; {@code apiKeyFile} holds the gateway's
     * key, which goes over plaintext because a local cluster's gateway listens on 127.0.0.1.
     */
    record Cluster(Path model, String gateway, String router, String routerMetricsUrl,
            List<ProcessSampler.Target> processes, Path apiKeyFile) {

        static Cluster read(Path stateDir) {
            JsonNode json;
            try {
                json = JsonMapper.builder().build().readTree(Files.readString(stateDir.resolve("cluster.json")));
            } catch (IOException e) {
                throw new UncheckedIOException("no cluster at " + stateDir + " (start one with ./moe up): " + e, e);
            }
            if (json.path("routerMetricsUrl").isNull() || json.path("routerMetricsUrl").isMissingNode()) {
                throw new IllegalStateException("the router of this cluster serves no metrics: restart it with a moe up "
                        + "that has --router-http-port");
            }
            List<ProcessSampler.Target> targets = new ArrayList<>();
            json.path("processes").forEach(p -> targets.add(new ProcessSampler.Target(p.path("name").asString(),
                    p.path("role").asString(), p.path("pid").asLong())));
            if (json.path("apiKeyFile").isNull() || json.path("apiKeyFile").isMissingNode()) {
                throw new IllegalStateException("this cluster has no API key (an older moe up): restart it");
            }
            return new Cluster(Path.of(json.path("model").asString()), json.path("gateway").asString(),
                    json.path("router").asString(), json.path("routerMetricsUrl").asString(), targets,
                    Path.of(json.path("apiKeyFile").asString()));
        }
    }

    private final SoakOptions options;
    private final Cluster cluster;
    private final CallLedger ledger = new CallLedger(System::nanoTime);
    private final SoakSummary summary;
    /** Threads that start a burst's calls together. */
    private final ForkJoinPool launchers = new ForkJoinPool(BURST_LAUNCHERS);
    private volatile boolean trafficOn;

    private SoakHarness(SoakOptions options, Cluster cluster) {
        this.options = options;
        this.cluster = cluster;
        this.summary = new SoakSummary(options, cluster, ledger);
    }

    public static void main(String[] args) {
        SoakOptions options = SoakOptions.parse(args);
        boolean passed = new SoakHarness(options, Cluster.read(options.cluster())).run();
        System.exit(passed ? 0 : 1);
    }

    private boolean run() {
        log("computing the in-process reference tokens of " + cluster.model());
        References refs = References.compute(cluster.model());
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(4, r -> Thread.ofPlatform().daemon()
                .name("soak-timer").unstarted(r));
        try (ProcessSampler sampler = ProcessSampler.attach(cluster.processes());
                MoeMeshClient client = MoeMeshClient.builder().target(cluster.gateway())
                        .apiKeyFile(cluster.apiKeyFile()).allowKeyOverPlaintext()
                        .defaultDeadline(Workload.NORMAL_DEADLINE).build();
                Channels channels = new Channels(cluster);
                SoakSeries series = new SoakSeries(options.out())) {
            Workload work = new Workload(new Calls(client, channels.gateway,
                    ApiKeyCredentials.fromFile(cluster.apiKeyFile()).allowingPlaintextToLoopback(), timer, ledger), refs);
            RouterMetrics router = new RouterMetrics(cluster.routerMetricsUrl());
            summary.exact("warmup", check(work.exactCheck("warmup")) && check(work.exactCheck("initial")));
            summary.before(sampler.sampleAfterGc(), router.read());
            histograms("start");
            log("baseline after GC taken; traffic for " + options.duration());
            timer.scheduleAtFixedRate(() -> tick(sampler, router, channels, series), 0,
                    options.sampleEvery().toMillis(), TimeUnit.MILLISECONDS);
            traffic(work, timer);
            summary.calmed(awaitCallsEnded(), awaitRouterIdle(router));
            summary.exact("final", check(work.exactCheck("final")));
            stop(timer); // no periodic sample may write once the series close
            tick(sampler, router, channels, series);
            summary.after(sampler.sampleAfterGc(), router.read(), ledger.inFlight());
            histograms("end");
        } finally {
            timer.shutdownNow();
            launchers.shutdownNow();
        }
        Path file = options.out().resolve("summary.json");
        boolean passed = summary.write(file);
        log((passed ? "PASSED" : "FAILED") + "; summary in " + file);
        return passed;
    }

    /** The closed-loop workers and the bursts, for {@code --duration}. */
    private void traffic(Workload work, ScheduledExecutorService timer) {
        trafficOn = true;
        summary.trafficStarted(ledger.now());
        SplittableRandom seeds = new SplittableRandom(options.seed());
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < options.concurrency(); i++) {
            SplittableRandom random = seeds.split();
            workers.add(Thread.ofPlatform().name("soak-worker-" + i).start(() -> work(work, random)));
        }
        if (!options.burstEvery().isZero() && options.burstSize() > 0) {
            SplittableRandom random = seeds.split();
            timer.scheduleWithFixedDelay(() -> burst(work, random), options.burstEvery().toMillis() / 2,
                    options.burstEvery().toMillis(), TimeUnit.MILLISECONDS);
        }
        pause(options.duration());
        trafficOn = false;
        for (Thread w : workers) {
            try {
                w.join(Workload.NORMAL_DEADLINE.plus(GRACE).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        summary.trafficEnded(ledger.now());
        log("traffic over: " + ledger.totals());
    }

    private static void stop(ScheduledExecutorService timer) {
        timer.shutdown();
        try {
            timer.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The top of the router's and the gateway's class histograms, next to the series. */
    private void histograms(String when) {
        for (ProcessSampler.Target t : cluster.processes()) {
            if (t.role().equals("router") || t.role().equals("gateway")) {
                try {
                    Files.writeString(options.out().resolve("histogram-" + t.name() + "-" + when + ".txt"),
                            ProcessSampler.histogram(t.pid(), HISTOGRAM_LINES));
                } catch (IOException e) {
                    log("could not write the histogram of " + t.name() + ": " + e);
                }
            }
        }
    }

    private void work(Workload work, SplittableRandom random) {
        while (trafficOn) {
            Workload.Variant v = work.pick(random);
            if (!await(v.start().apply(random), Workload.NORMAL_DEADLINE.plus(GRACE))) {
                log("a " + v.kind() + "/" + v.name() + " call did not end within its deadline and "
                        + GRACE.toSeconds() + " s; it stays in the ledger and is reported if it never ends");
            }
        }
    }

    private void burst(Workload work, SplittableRandom random) {
        if (!trafficOn) {
            return;
        }
        Map<String, Long> before = ledger.totals().getOrDefault("burst", Map.of());
        double at = ledger.now();
        await(work.burst(options.burstSize(), random, launchers), Workload.NORMAL_DEADLINE.plus(GRACE));
        summary.burst(at, options.burstSize(), before, ledger.totals().getOrDefault("burst", Map.of()));
    }

    private void tick(ProcessSampler sampler, RouterMetrics router, Channels channels, SoakSeries series) {
        try {
            double t = ledger.now();
            List<ProcessSampler.Sample> samples = sampler.sample();
            Map<String, Double> metrics = router.read();
            boolean routerServing = serving(channels.router);
            boolean gatewayServing = serving(channels.gateway);
            series.processes(t, samples);
            series.router(t, routerServing, gatewayServing, metrics);
            series.traffic(t, ledger.drainInterval(), ledger.inFlight().size(), ledger.overdue(GRACE));
            summary.sampled(samples, routerServing, gatewayServing, ledger.overdue(GRACE));
        } catch (RuntimeException e) {
            log("a sample failed: " + e);
        }
    }

    private boolean check(CompletableFuture<Void> calls) {
        long before = ledger.surpriseCount();
        return await(calls, CHECK_TIMEOUT) && ledger.surpriseCount() == before;
    }

    /** Seconds until no call of the soak was in flight, or -1 when some never ended. */
    private double awaitCallsEnded() {
        double start = ledger.now();
        long deadline = System.nanoTime() + Workload.NORMAL_DEADLINE.plus(GRACE).toNanos();
        while (!ledger.inFlight().isEmpty() && System.nanoTime() < deadline) {
            pause(Duration.ofMillis(200));
        }
        return ledger.inFlight().isEmpty() ? ledger.now() - start : -1;
    }

    /** Seconds until the router's scheduler load was 0, or -1 when it stayed busy. */
    private double awaitRouterIdle(RouterMetrics router) {
        double start = ledger.now();
        long deadline = System.nanoTime() + IDLE_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (router.read().getOrDefault("scheduler_load", Double.NaN) == 0) {
                return ledger.now() - start;
            }
            pause(Duration.ofMillis(200));
        }
        return -1;
    }

    private static boolean await(CompletableFuture<Void> call, Duration timeout) {
        try {
            call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return false;
        }
    }

    private static boolean serving(ManagedChannel channel) {
        try {
            return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(3, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING;
        } catch (StatusRuntimeException e) {
            return false;
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void log(String message) {
        System.out.printf("[soak %7.1f s] %s%n", ledger.now(), message);
    }

    /** Raw channels: to the gateway (raw calls, health) and to the router (health only). */
    private static final class Channels implements AutoCloseable {
        final ManagedChannel gateway;
        final ManagedChannel router;

        Channels(Cluster cluster) {
            gateway = Grpc.newChannelBuilder(cluster.gateway(), InsecureChannelCredentials.create()).build();
            router = Grpc.newChannelBuilder(cluster.router(), InsecureChannelCredentials.create()).build();
        }

        @Override
        public void close() {
            gateway.shutdownNow();
            router.shutdownNow();
        }
    }
}
