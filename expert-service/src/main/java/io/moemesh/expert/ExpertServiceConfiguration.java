package io.moemesh.expert;

import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.core.instrument.MeterRegistry;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.expert.batching.ExpertFfnRunner;
import io.moemesh.expert.batching.ExpertWarmup;
import io.moemesh.expert.batching.FfnRunner;
import io.moemesh.expert.batching.MicroBatcher;
import io.moemesh.expert.batching.WorkSpans;
import io.moemesh.expert.batching.Ticker;
import io.moemesh.expert.compute.ComputeUseCase;
import io.moemesh.expert.compute.DescribeUseCase;
import io.moemesh.expert.compute.RePlacementUseCase;
import io.moemesh.expert.grpc.CallActivity;
import io.moemesh.expert.grpc.EndpointIdentity;
import io.moemesh.expert.grpc.ExpertGrpcService;
import io.moemesh.expert.grpc.LoopbackWarmup;
import io.moemesh.expert.grpc.ShutdownDrain;
import io.moemesh.expert.unit.HostedUnits;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.service.tracing.GrpcTracing;
import io.moemesh.service.transport.GrpcServerFactory;
import io.moemesh.service.transport.InternalChannelFactory;
import io.moemesh.service.transport.TransportConfiguration;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** Wires the expert service: weights → batcher → use cases → gRPC adapter → server lifecycle. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ExpertServiceProperties.class)
@Import(TransportConfiguration.class)
class ExpertServiceConfiguration {

    /**
     * Tokens of the largest Compute call a router sends: one step's tokens routed to one endpoint,
     * at most the router's prefill budget (default 2048) or one prompt (bounded by the context),
     * plus a decode token per running sequence (router default 32; 256 leaves room to raise it).
     */
    static final int ROUTER_STEP_PREFILL_TOKENS = 2048;
    static final int ROUTER_STEP_DECODE_TOKENS = 256;
    /** Per token: its TokenRoute (expert ids and gate weights) and field framing, generously. */
    private static final int ROUTE_BYTES_PER_TOKEN = 64;
    private static final int REQUEST_OVERHEAD_BYTES = 64 << 10;

    /** Re-placement (which units this endpoint serves) is for the placement controller only under mTLS. */
    static final Set<String> MUTATING_METHODS = Set.of(
            ExpertGrpc.getSetPartnerUnitsMethod().getFullMethodName(),
            ExpertGrpc.getReleaseRetiredUnitsMethod().getFullMethodName());

    @Bean(destroyMethod = "close")
    HostedUnits hostedUnits(ExpertServiceProperties properties) {
        return HostedUnits.load(properties.modelDir(), properties.placement());
    }

    @Bean
    Kernels kernels(ExpertServiceProperties properties) {
        return KernelSelection.select(properties.kernels());
    }

    @Bean
    FfnRunner ffnRunner(Kernels kernels) {
        return new ExpertFfnRunner(kernels);
    }

    @Bean(destroyMethod = "close")
    MicroBatcher microBatcher(HostedUnits units, FfnRunner runner, ExpertServiceProperties properties,
            MeterRegistry registry, GrpcTracing tracing) {
        ExpertWarmup.run(units.weights(), runner, properties.warmup());
        return new MicroBatcher(units.weights(), runner, properties.batching(), Ticker.system(), registry,
                new WorkSpans(tracing.tracer()));
    }

    @Bean
    EndpointIdentity endpointIdentity(ExpertServiceProperties properties) {
        return new EndpointIdentity(properties.endpointId(), hostName());
    }

    @Bean
    ExpertGrpcService expertGrpcService(HostedUnits units, MicroBatcher batcher, Kernels kernels, FfnRunner runner,
            EndpointIdentity endpoint, ExpertServiceProperties properties) {
        DescribeUseCase describe = new DescribeUseCase(units, KernelSelection.backendName(kernels), endpoint::id);
        RePlacementUseCase rePlacement = new RePlacementUseCase(units, batcher, describe, runner,
                properties.partnerWarmup());
        // Re-placement loads and warms weights for a few hundred ms: a virtual thread per call keeps
        // that off the transport threads, and the use case runs one at a time.
        Executor blocking = task -> Thread.ofVirtual().name("expert-re-placement").start(task);
        return new ExpertGrpcService(new ComputeUseCase(units, batcher), describe, rePlacement, blocking,
                batcher.ticker());
    }

    @Bean
    HealthStatusManager grpcHealth() {
        return new HealthStatusManager();
    }

    /** When a Compute request (unary or on a stream) last arrived: the shutdown drain waits until none do. */
    @Bean
    CallActivity computeActivity() {
        return new CallActivity(Set.of(ExpertGrpc.getComputeMethod().getFullMethodName(),
                ExpertGrpc.getComputeStreamMethod().getFullMethodName()), System::nanoTime);
    }

    /**
     * Depends on the server, so it stops first: NOT_SERVING, Compute still answered until the
     * routers have switched away, then the server's own drain.
     */
    @Bean
    ShutdownDrain shutdownDrain(GrpcServerLifecycle grpcServer, CallActivity computeActivity,
            ExpertServiceProperties properties) {
        return new ShutdownDrain(grpcServer, computeActivity, new ShutdownDrain.Settings(
                properties.shutdownQuietPeriod(), properties.shutdownMaxWait()), System::nanoTime,
                pause -> Thread.sleep(pause));
    }

    @Bean
    GrpcServerLifecycle grpcServer(ExpertServiceProperties properties, ExpertGrpcService expert,
            HealthStatusManager health, EndpointIdentity endpoint, HostedUnits units, MicroBatcher batcher,
            GrpcServerFactory servers, InternalChannelFactory channels, CallActivity computeActivity) {
        // Handlers never block (Compute decodes, validates and queues; the batcher's worker answers),
        // so they run on the transport thread: one thread hand-off less per call.
        ServerBuilder<?> builder = servers.internalServer("expert", properties.grpcPort(),
                maxComputeRequestBytes(units.config(), properties.maxBatchTokens()), properties.drainTimeout(),
                MUTATING_METHODS).directExecutor();
        GrpcServerLifecycle server = new GrpcServerLifecycle("expert", builder,
                List.of(ServerInterceptors.intercept(expert.bindService(), computeActivity)), health,
                properties.drainTimeout(), new GrpcServerLifecycle.Hooks() {
                    @Override
                    public void started(int port) {
                        endpoint.bound(port); // Describe reports host:port, which is known only now for port 0
                        // before SERVING: the router sees a warm JVM; same TLS and token as any caller
                        LoopbackWarmup.run(() -> channels.loopbackBuilder(servers.loopbackTarget(port)), port,
                                List.copyOf(units.weights().keySet()), units.config().hiddenSize(),
                                properties.loopbackWarmup());
                    }

                    @Override
                    public void draining() {
                        expert.drainStreams(); // routers' long-lived streams would hold the drain open
                    }
                });
        servers.healthServer().ifPresent(server::plaintextHealth); // probes that cannot speak TLS
        // A worker that died of an Error: NOT_SERVING, so that the supervisor restarts the process.
        batcher.onFatalFailure(server::markNotServing);
        return server;
    }

    /**
     * The inbound message limit: the largest Compute request, F32 rows (the widest wire type) for
     * the router's largest step or this endpoint's batch, whichever is larger, with its routes. A
     * router whose {@code max-prefill-tokens} is raised beyond the default needs
     * {@code moemesh.transport.max-inbound-message-size} raised with it.
     */
    static int maxComputeRequestBytes(ModelConfig config, int maxBatchTokens) {
        long tokens = Math.max((long) Math.max(ROUTER_STEP_PREFILL_TOKENS, config.maxPositionEmbeddings())
                + ROUTER_STEP_DECODE_TOKENS, maxBatchTokens);
        long bytes = tokens * ((long) config.hiddenSize() * Float.BYTES + ROUTE_BYTES_PER_TOKEN) + REQUEST_OVERHEAD_BYTES;
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    /** The pod name in Kubernetes, else the host name. */
    private static String hostName() {
        String pod = System.getenv("HOSTNAME");
        if (pod != null && !pod.isBlank()) {
            return pod;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
