package io.moemesh.router;

import io.grpc.ServerInterceptors;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.DenseWeights;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.routing.RoutingStatsWindow;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.core.tokenizer.TokenizerConfig;
import io.moemesh.proto.internal.v1.ExpertEndpointsGrpc;
import io.moemesh.router.batching.BatchScheduler;
import io.moemesh.router.batching.SchedulerProperties;
import io.moemesh.router.batching.SchedulerStats;
import io.moemesh.router.discovery.ExpertDiscovery;
import io.moemesh.router.discovery.ExpertEndpointsReconciler;
import io.moemesh.router.discovery.file.FileExpertDiscovery;
import io.moemesh.router.discovery.kubernetes.KubernetesDiscoveryProperties;
import io.moemesh.router.discovery.kubernetes.KubernetesExpertDiscovery;
import io.moemesh.router.dispatch.DispatchMetrics;
import io.moemesh.router.dispatch.DynamicExpertEndpoints;
import io.moemesh.router.dispatch.EndpointCallStats;
import io.moemesh.router.dispatch.ExpertEndpoint;
import io.moemesh.router.dispatch.ExpertEndpoints;
import io.moemesh.router.dispatch.RemoteExperts;
import io.moemesh.router.grpc.CallerInterceptor;
import io.moemesh.router.grpc.ExpertEndpointsGrpcService;
import io.moemesh.router.grpc.PruningTarget;
import io.moemesh.router.grpc.RouterGrpcService;
import io.moemesh.router.grpc.RoutingStatsGrpcService;
import io.moemesh.router.grpc.ServedModel;
import io.moemesh.router.health.DiscoveryReadiness;
import io.moemesh.router.health.SchedulerMetrics;
import io.moemesh.router.health.StepTraceMetrics;
import io.moemesh.router.health.UnitTokenMetrics;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.service.ProgressWatchdog;
import io.moemesh.service.transport.GrpcServerFactory;
import io.moemesh.service.transport.InternalChannelFactory;
import io.moemesh.service.tracing.GrpcTracing;
import io.moemesh.router.tracing.StepSpans;
import io.moemesh.router.dispatch.DispatchTracing;
import io.moemesh.service.transport.TransportConfiguration;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;

/**
 * Wires the router: model → expert dispatch → scheduler → gRPC services → two servers: the public
 * API (Generate, ListModels) for gateways on {@code grpc-port}, and the internal services
 * (RoutingStats, ExpertEndpoints) for the placement controller on {@code internal-grpc-port}, so
 * that a network policy can open one without the other.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({RouterProperties.class, AdmissionProperties.class, KubernetesDiscoveryProperties.class})
@Import(TransportConfiguration.class)
class RouterConfiguration {

    /** A Generate request is a prompt of at most 32 KiB plus sampling parameters and stop strings. */
    static final int PUBLIC_MAX_INBOUND_BYTES = 1 << 20;
    /** Internal requests are small (stats and endpoint queries); 4 MiB is gRPC's own default. */
    static final int INTERNAL_MAX_INBOUND_BYTES = 4 << 20;
    /** EX_SOFTWARE of sysexits.h: the router stopped because of an internal failure. */
    static final int SCHEDULER_FAILURE_EXIT_CODE = 70;
    private static final Duration WATCHDOG_PERIOD = Duration.ofSeconds(1);

    @Bean
    ModelConfig modelConfig(RouterProperties properties) {
        return ModelConfig.load(properties.modelDir());
    }

    @Bean(destroyMethod = "close")
    Checkpoint checkpoint(RouterProperties properties) {
        return Checkpoint.open(properties.modelDir());
    }

    @Bean(destroyMethod = "close")
    TextTokenizer tokenizer(RouterProperties properties) {
        return TextTokenizer.load(properties.modelDir());
    }

    /** The chat template and special tokens, which ListModels passes on to gateways; read once, at start. */
    @Bean
    TokenizerConfig tokenizerConfig(RouterProperties properties) {
        return TokenizerConfig.load(properties.modelDir());
    }

    @Bean
    Kernels kernels(RouterProperties properties) {
        return Kernels.named(properties.kernels());
    }

    @Bean
    DenseTransformer denseTransformer(ModelConfig config, Checkpoint checkpoint, Kernels kernels) {
        return new DenseTransformer(config, DenseWeights.load(checkpoint, config), kernels, 0);
    }

    /** Spans of forward steps, layer steps and expert calls of sampled requests, within the step budget. */
    @Bean
    StepSpans stepSpans(GrpcTracing tracing, RouterProperties properties) {
        return new StepSpans(tracing.tracer(), properties.stepTraceBudget(System::nanoTime));
    }

    @Bean
    StepTraceMetrics stepTraceMetrics(StepSpans stepSpans) {
        return new StepTraceMetrics(stepSpans);
    }

    /**
     * Remote expert services when endpoints are listed, in a file or discovered on Kubernetes;
     * otherwise every expert in this process. Static endpoints, and those the experts file lists at
     * start-up, are asked what they host before the router starts; Kubernetes ones arrive through
     * {@link #expertDiscovery}, and until then every expert is unavailable (the router serves degraded).
     */
    @Bean
    ExpertDispatch expertDispatch(RouterProperties properties, ModelConfig config, Checkpoint checkpoint,
            Kernels kernels, InternalChannelFactory channels, StepSpans stepSpans) {
        if (!properties.remoteExperts()) {
            return LocalExperts.load(checkpoint, config, kernels);
        }
        List<ExpertEndpoint> endpoints = switch (properties.discovery()) {
            case STATIC -> properties.experts().stream().map(t -> new ExpertEndpoint(t, t)).toList();
            case FILE -> fileDiscovery(properties).read(); // a missing or malformed file stops the start here
            case KUBERNETES -> List.of();
        };
        return RemoteExperts.connect(endpoints,
                // responses only complete a future the step thread waits on: no executor hop needed
                e -> channels.expertBuilder(e.target()).directExecutor()
                        .maxInboundMessageSize(properties.maxExpertResponseBytes(config)).build(),
                config.numMoeLayers(), config.numExperts(), config.hiddenSize(), properties.dispatch(),
                new DispatchTracing(stepSpans));
    }

    /**
     * Keeps remote endpoints in line with discovery: the static list (which changes nothing after
     * start-up but re-asks endpoints that did not answer Describe), the experts file (local mode:
     * {@code moe up} and the placement controller rewrite it as they start and stop expert processes),
     * or the expert Services' EndpointSlices.
     */
    @Bean(destroyMethod = "close")
    ExpertDiscovery.Subscription expertDiscovery(RouterProperties properties,
            KubernetesDiscoveryProperties kubernetes, ExpertDispatch experts, DiscoveryReadiness readiness) {
        if (!(experts instanceof DynamicExpertEndpoints endpoints)) {
            readiness.discovered();
            return ExpertDiscovery.Subscription.NONE; // in-process experts: nothing to discover
        }
        ExpertDiscovery discovery = switch (properties.discovery()) {
            case STATIC -> ExpertDiscovery.fixed(properties.experts());
            case FILE -> fileDiscovery(properties);
            case KUBERNETES -> KubernetesExpertDiscovery.of(kubernetes);
        };
        ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "expert-endpoints-reconciler");
            t.setDaemon(true);
            return t;
        });
        ExpertEndpointsReconciler reconciler = new ExpertEndpointsReconciler(endpoints,
                properties.discoveryProperties(), Clock.systemUTC(), thread);
        reconciler.firstReconcile().thenRun(readiness::discovered);
        return reconciler.follow(discovery);
    }

    /** The router stays NOT_SERVING until its expert discovery has completed its first reconcile. */
    @Bean
    DiscoveryReadiness discoveryReadiness() {
        return new DiscoveryReadiness();
    }

    private static FileExpertDiscovery fileDiscovery(RouterProperties properties) {
        return new FileExpertDiscovery(properties.expertsFile(), properties.expertsFilePoll());
    }

    @Bean
    RoutingStatsWindow routingStats(RouterProperties properties, ModelConfig config) {
        return new RoutingStatsWindow(config.numMoeLayers(), config.numExperts(), properties.statsWindow(),
                properties.statsBuckets(), properties.statsExpertSets(), Clock.systemUTC());
    }

    /** Tokens per unit (the gate's decisions), unless {@code moemesh.router.metrics.per-unit=false}. */
    @Bean
    UnitTokenMetrics unitTokenMetrics(RouterProperties properties, ModelConfig config) {
        return new UnitTokenMetrics(config.numMoeLayers(), config.numExperts(), properties.metrics().perUnit());
    }

    /** The remote dispatch's meters: layer steps, per-unit calls, per-endpoint calls, tokens and bytes sent. */
    @Bean
    MeterBinder dispatchMetrics(RouterProperties properties, ModelConfig config, ExpertDispatch experts) {
        if (!(experts instanceof RemoteExperts remote)) {
            return registry -> { }; // in-process experts: no calls, no bytes on the network
        }
        return new DispatchMetrics(remote, config.numMoeLayers(), config.numExperts(), properties.metrics().perUnit());
    }

    @Bean
    BatchScheduler batchScheduler(DenseTransformer dense, ExpertDispatch experts, TextTokenizer tokenizer,
            RouterProperties properties, AdmissionProperties admission, RoutingStatsWindow stats,
            UnitTokenMetrics unitTokens, StepSpans stepSpans) {
        RoutingObserver gate = new RoutingObserver() {
            @Override
            public void onRoute(int layer, int token, GateDecision decision) {
                stats.onRoute(layer, token, decision);
                unitTokens.onRoute(layer, token, decision);
            }

            /** Statistics record demand (what the gate wanted); per-unit token meters what units served. */
            @Override
            public void onPrunedRoute(int layer, int token, GateDecision served, GateDecision wanted) {
                stats.onPrunedRoute(layer, token, served, wanted);
                unitTokens.onRoute(layer, token, served);
            }
        };
        return new BatchScheduler(dense, experts, tokenizer, properties.scheduler(admission), gate,
                new SchedulerStats(), System::nanoTime, stepSpans);
    }

    @Bean
    SchedulerMetrics schedulerMetrics(BatchScheduler scheduler) {
        return new SchedulerMetrics(scheduler);
    }

    /**
     * Health follows the scheduler's progress, and is NOT_SERVING until the first expert discovery has
     * completed ({@link DiscoveryReadiness}); a dead scheduler loop ends the process (status 70)
     * unless {@code exit-on-scheduler-failure} is off, so that Kubernetes or {@code moe up}'s user
     * sees it and restarts the router. The exit runs on its own thread: the shutdown it starts joins
     * the scheduler's thread.
     */
    @Bean(destroyMethod = "close")
    ProgressWatchdog schedulerWatchdog(RouterProperties properties, BatchScheduler scheduler,
            GrpcServerLifecycle server, DiscoveryReadiness readiness) {
        Duration stall = properties.stallTimeout();
        Runnable onFatal = () -> {
            server.markNotServing("the batch scheduler's loop died (see the error above)");
            if (properties.exitOnSchedulerFailure()) {
                Thread.ofPlatform().name("router-exit").start(() -> System.exit(SCHEDULER_FAILURE_EXIT_CODE));
            }
        };
        return new ProgressWatchdog("router", () -> readiness.gate(scheduler.health(stall)), server::serving, onFatal)
                .start(WATCHDOG_PERIOD);
    }

    /**
     * The threads that run the public server's call handlers and callbacks (a new request's
     * tokenization, cancels, flow-control readiness): a fixed pool of twice the processors, started
     * with the server, instead of gRPC's default cached pool, which grows a thread for every callback
     * that runs at once — 200 clients that cancel together grew the router by 13 threads. Handlers never
     * block (tokens are sent from the scheduler thread), so a callback waits in the pool's queue for
     * microseconds at most; gRPC runs each call's callbacks one after another, so that queue holds at
     * most one task per open call, and open calls are bounded by the per-connection stream limit.
     */
    @Bean(destroyMethod = "shutdownNow")
    ThreadPoolExecutor routerCallExecutor() {
        int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> Thread.ofPlatform().daemon().name("router-grpc-" + n.getAndIncrement())
                        .unstarted(r));
        executor.prestartAllCoreThreads();
        return executor;
    }

    /** The public API: Generate and ListModels, called by gateways; its life starts and drains the scheduler. */
    @Bean
    @Primary
    GrpcServerLifecycle grpcServer(RouterProperties properties, AdmissionProperties admission, ModelConfig config,
            DenseTransformer dense, TextTokenizer tokenizer, TokenizerConfig tokenizerConfig, BatchScheduler scheduler,
            GrpcServerFactory servers, StepSpans stepSpans, ThreadPoolExecutor routerCallExecutor) {
        String modelName = properties.modelDir().toAbsolutePath().normalize().getFileName().toString();
        // the server's token/certificate interceptors run before the service's CallerInterceptor,
        // which believes moemesh-caller only from callers they authenticated
        // a gateway sends all its requests over one connection: it may open as many streams as the
        // scheduler holds (queued + running), or requests past the stream limit would wait in the
        // gateway's client, FIFO, never reaching the per-caller fair queue
        SchedulerProperties scheduling = properties.scheduler(admission);
        GrpcServerLifecycle server = new GrpcServerLifecycle("router",
                servers.internalServer("router", properties.grpcPort(), PUBLIC_MAX_INBOUND_BYTES,
                        properties.drainTimeout(), Set.of(),
                        scheduling.maxQueuedRequests() + scheduling.maxRunningSequences())
                        .executor(routerCallExecutor),
                List.of(ServerInterceptors.intercept(new RouterGrpcService(
                        new ServedModel(modelName, config, dense.topK(), tokenizerConfig), tokenizer,
                        scheduler, properties.maxStreamBacklog(), admission.requestLimits(), stepSpans.tracer()),
                        CallerInterceptor.forServer(servers))),
                new HealthStatusManager(), properties.drainTimeout(), new GrpcServerLifecycle.Hooks() {
                    @Override
                    public void beforeStart() {
                        scheduler.start();
                    }

                    @Override
                    public void draining() {
                        scheduler.close(); // finish admitted requests before in-flight calls are awaited
                    }
                });
        // probes without TLS (moemesh.transport.health-port) see the scheduler's health, as on this port
        servers.healthServer().ifPresent(server::plaintextHealth);
        return server;
    }

    /**
     * The internal services, called by the placement controller: routing statistics and the expert
     * endpoints (whose refresh and SetPrunedExperts are the mutating calls that mTLS limits to
     * {@code moemesh.auth.mutating-peers}).
     */
    @Bean
    GrpcServerLifecycle internalGrpcServer(RouterProperties properties, RoutingStatsWindow stats,
            ExpertDispatch experts, BatchScheduler scheduler, GrpcServerFactory servers, ModelConfig config,
            DenseTransformer dense) {
        // in-process experts send nothing over the network: no traffic to report
        Supplier<Optional<RemoteExperts.Traffic>> traffic = experts instanceof RemoteExperts remote
                ? () -> Optional.of(remote.traffic()) : Optional::empty;
        Supplier<List<EndpointCallStats.Snapshot>> endpointCalls = experts instanceof RemoteExperts remote
                ? remote::endpointCalls : List::of;
        Optional<ExpertEndpoints> endpoints = experts instanceof ExpertEndpoints remote
                ? Optional.of(remote) : Optional.empty();
        return new GrpcServerLifecycle("router-internal",
                servers.internalServer("router", properties.internalGrpcPort(), INTERNAL_MAX_INBOUND_BYTES,
                        properties.drainTimeout(),
                        Set.of(ExpertEndpointsGrpc.getRefreshExpertEndpointsMethod().getFullMethodName(),
                                ExpertEndpointsGrpc.getSetPrunedExpertsMethod().getFullMethodName())),
                List.of(new RoutingStatsGrpcService(stats, traffic, Optional.of(scheduler.stats()), endpointCalls)
                                .bindService(),
                        new ExpertEndpointsGrpcService(endpoints, new PruningTarget(scheduler.pruning(),
                                config.numMoeLayers(), config.numExperts(), dense.topK())).bindService()),
                new HealthStatusManager(), properties.drainTimeout(), new GrpcServerLifecycle.Hooks() { });
    }
}
