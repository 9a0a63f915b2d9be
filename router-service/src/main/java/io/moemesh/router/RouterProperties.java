package io.moemesh.router;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.router.batching.SchedulerProperties;
import io.moemesh.router.discovery.DiscoveryProperties;
import io.moemesh.router.dispatch.DispatchProperties;
import io.moemesh.router.dispatch.ExpertTransport;
import io.moemesh.router.tracing.StepTraceBudget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code moemesh.router.*}: the router's model, its expert endpoints and its limits. The names are flat
 * (deployed configs, the chart and {@code moe up} spell them so); {@link #dispatch()},
 * {@link #scheduler(AdmissionProperties)} and {@link #discoveryProperties()} group them for the classes
 * that use them, and the defaults of those groups live in {@link DispatchProperties},
 * {@link SchedulerProperties} and {@link DiscoveryProperties}, which the {@code @DefaultValue}s here name.
 * Every value is checked here, at start-up, with the property's name.
 *
 * @param modelDir    model directory (config.json, safetensors, tokenizer.json); the router maps only the dense tensors
 * @param experts     expert endpoints as {@code host:port} ({@code discovery=static}); empty = run every expert in
 *                    this process
 * @param discovery   where the expert endpoints come from: {@code static} ({@code experts}), {@code file}
 *                    ({@code experts-file}, which local mode's {@code moe up} and placement controller rewrite) or
 *                    {@code kubernetes} (the EndpointSlices of the expert Services, {@code moemesh.router.kubernetes.*});
 *                    with {@code kubernetes} the experts are always remote, and the router serves degraded while none
 *                    is ready
 * @param expertsFile with {@code discovery=file}: the file listing the expert endpoints, one {@code host:port} per line
 *                    ({@code #} comments and blank lines ignored); it must be readable at start-up, and later changes
 *                    of its content are followed
 * @param expertsFilePoll how often the experts file is read again (default 500ms)
 * @param discoveryDebounce   a discovered change applies this long after it was first seen, with the newest set by then
 * @param discoveryEmptyGrace how long discovery must report no endpoints before the router drops the ones it has
 * @param discoveryResync     how often the router re-checks without news (endpoints that never answered Describe are
 *                    asked again, a failed switch is retried)
 * @param grpcPort    port of the public MoeMesh API (Generate, ListModels), called by gateways (0 = any free port)
 * @param internalGrpcPort port of the internal services (RoutingStats, ExpertEndpoints), called by the placement
 *                    controller (0 = any free port)
 * @param expertCallTimeout deadline of one Compute call to an expert endpoint (a retry on another replica gets
 *                    a fresh one)
 * @param expertTransport {@code stream} (the default): Compute calls as messages on one long-lived
 *                    bidirectional stream per endpoint; {@code unary}: one gRPC call each (see docs/performance.md)
 * @param expertMaxConcurrentCalls Compute calls one expert endpoint may have in flight (its bulkhead, default 64);
 *                    a call over the limit is refused at once, never queued: its tokens are retried on another
 *                    replica, or routed around (degraded) when no replica has room. A refusal does not count
 *                    against the endpoint's circuit breaker
 * @param pingPongMinTokens steps of at least this many tokens (prompt tokens plus one per decoding sequence) run as
 *                    two micro-batches on two threads, so that one half's dense part overlaps the other half's
 *                    expert calls (MegaScale-Infer's ping-pong); 0 (the default) = one batch per step
 * @param maxStreamBacklog responses one Generate stream may hold for a client that does not read them (gRPC flow
 *                    control says it is not ready); one more ends that stream with RESOURCE_EXHAUSTED and drops its
 *                    request from the batch
 * @param stallTimeout how long the batch scheduler may go without finishing a step while work waits before the
 *                    router's health turns NOT_SERVING (it turns back when steps finish again); longer than the
 *                    slowest step the deployment expects (expert call timeouts included)
 * @param exitOnSchedulerFailure whether the process exits (status 70) when the scheduler's loop dies, so that a
 *                    supervisor (Kubernetes, systemd) restarts it; health is NOT_SERVING either way
 * @param statsExpertSets whole expert sets (a token's k experts) tracked per MoE layer and window bucket for the
 *                    placement controller (a Space-Saving heavy-hitter list: every set chosen by more than 1/N of a
 *                    bucket's tokens is kept, the rest are counted as unlisted); 1..65536, default 256
 * @param tracedStepsPerSecond at most this many forward steps a second are traced (make spans) among those that
 *                    serve a request the gateway sampled; the others count on the request's span as untraced.
 *                    Default 1 ({@link StepTraceBudget#DEFAULT_PER_SECOND} says why), fractions allowed, 0 = never
 *                    trace a step, -1 = no limit (every step that holds a sampled request, for debugging)
 * @param metrics     {@code moemesh.router.metrics.*}: which meters the router publishes on {@code /actuator/prometheus}
 */
@ConfigurationProperties("moemesh.router")
public record RouterProperties(
        Path modelDir,
        @DefaultValue List<String> experts,
        @DefaultValue("static") Discovery discovery,
        @DefaultValue(DiscoveryProperties.DEFAULT_DEBOUNCE) Duration discoveryDebounce,
        @DefaultValue(DiscoveryProperties.DEFAULT_EMPTY_GRACE) Duration discoveryEmptyGrace,
        @DefaultValue(DiscoveryProperties.DEFAULT_RESYNC) Duration discoveryResync,
        Path expertsFile,
        @DefaultValue("500ms") Duration expertsFilePoll,
        @DefaultValue("50052") int grpcPort,
        @DefaultValue("50056") int internalGrpcPort,
        @DefaultValue("best") String kernels,
        @DefaultValue(DispatchProperties.DEFAULT_CALL_TIMEOUT) Duration expertCallTimeout,
        @DefaultValue(DispatchProperties.DEFAULT_WIRE_DTYPE) String wireDtype,
        @DefaultValue(DispatchProperties.DEFAULT_TRANSPORT_NAME) ExpertTransport expertTransport,
        @DefaultValue("" + DispatchProperties.DEFAULT_BREAKER_WINDOW) int breakerWindow,
        @DefaultValue("" + DispatchProperties.DEFAULT_BREAKER_FAILURE_RATE) float breakerFailureRate,
        @DefaultValue(DispatchProperties.DEFAULT_BREAKER_OPEN_FOR) Duration breakerOpenFor,
        @DefaultValue("" + DispatchProperties.DEFAULT_MAX_CONCURRENT_CALLS) int expertMaxConcurrentCalls,
        @DefaultValue("" + SchedulerProperties.DEFAULT_MAX_QUEUED_REQUESTS) int maxQueuedRequests,
        @DefaultValue("" + SchedulerProperties.DEFAULT_MAX_RUNNING_SEQUENCES) int maxRunningSequences,
        @DefaultValue("" + SchedulerProperties.DEFAULT_MAX_PREFILL_TOKENS) int maxPrefillTokens,
        @DefaultValue("" + SchedulerProperties.DEFAULT_PING_PONG_MIN_TOKENS) int pingPongMinTokens,
        @DefaultValue("10m") Duration statsWindow,
        @DefaultValue("10") int statsBuckets,
        @DefaultValue("256") int statsExpertSets,
        @DefaultValue("30s") Duration drainTimeout,
        @DefaultValue("256") int maxStreamBacklog,
        @DefaultValue("30s") Duration stallTimeout,
        @DefaultValue("true") boolean exitOnSchedulerFailure,
        @DefaultValue("" + StepTraceBudget.DEFAULT_PER_SECOND) double tracedStepsPerSecond,
        @DefaultValue Metrics metrics) {

    public RouterProperties {
        if (modelDir == null) {
            throw new IllegalArgumentException("moemesh.router.model-dir is required: the model directory to serve");
        }
        if (!Files.isRegularFile(modelDir.resolve("config.json"))) {
            throw new IllegalArgumentException("moemesh.router.model-dir " + modelDir.toAbsolutePath()
                    + " has no config.json: not a model directory");
        }
        if (discovery == Discovery.KUBERNETES && !experts.isEmpty()) {
            throw new IllegalArgumentException("moemesh.router.experts lists endpoints for discovery=static, but"
                    + " moemesh.router.discovery is kubernetes: set one or the other");
        }
        checkFileDiscovery(discovery, experts, expertsFile, expertsFilePoll);
        if (discoveryDebounce.isNegative() || discoveryEmptyGrace.isNegative() || discoveryResync.isNegative()
                || discoveryResync.isZero()) {
            throw new IllegalArgumentException("moemesh.router.discovery-debounce and discovery-empty-grace must not be"
                    + " negative and moemesh.router.discovery-resync must be positive, got " + discoveryDebounce + ", "
                    + discoveryEmptyGrace + " and " + discoveryResync);
        }
        if (statsExpertSets < 1 || statsExpertSets > 65_536) {
            throw new IllegalArgumentException("moemesh.router.stats-expert-sets must be 1..65536 (sets tracked per MoE"
                    + " layer), got " + statsExpertSets);
        }
        for (String e : experts) {
            if (!e.matches("[^:\\s]+:\\d{1,5}")) {
                throw new IllegalArgumentException("moemesh.router.experts entry '" + e + "' must be host:port");
            }
        }
        if (maxStreamBacklog < 1 || !stallTimeout.isPositive()) {
            throw new IllegalArgumentException("moemesh.router.max-stream-backlog must be >= 1 and"
                    + " moemesh.router.stall-timeout positive, got " + maxStreamBacklog + " and " + stallTimeout);
        }
        if (grpcPort != 0 && grpcPort == internalGrpcPort) {
            throw new IllegalArgumentException("moemesh.router.grpc-port and moemesh.router.internal-grpc-port must"
                    + " differ (public and internal services listen apart), both are " + grpcPort);
        }
        DispatchProperties.wireDtype(wireDtype);
        StepTraceBudget.check(tracedStepsPerSecond, "moemesh.router.traced-steps-per-second");
        if (metrics == null) {
            metrics = new Metrics(true);
        }
        if (expertMaxConcurrentCalls < 1) {
            throw new IllegalArgumentException("moemesh.router.expert-max-concurrent-calls must be >= 1 (Compute calls"
                    + " in flight per expert endpoint), got " + expertMaxConcurrentCalls);
        }
    }

    private static void checkFileDiscovery(Discovery discovery, List<String> experts, Path expertsFile,
            Duration expertsFilePoll) {
        if (discovery == Discovery.FILE && expertsFile == null) {
            throw new IllegalArgumentException("moemesh.router.discovery=file needs moemesh.router.experts-file: the"
                    + " file that lists the expert endpoints, one host:port per line");
        }
        if (discovery == Discovery.FILE && !experts.isEmpty()) {
            throw new IllegalArgumentException("moemesh.router.experts lists endpoints for discovery=static, but"
                    + " moemesh.router.discovery is file (moemesh.router.experts-file): set one or the other");
        }
        if (discovery != Discovery.FILE && expertsFile != null) {
            throw new IllegalArgumentException("moemesh.router.experts-file is read only with"
                    + " moemesh.router.discovery=file, but discovery is " + discovery.name().toLowerCase(Locale.ROOT)
                    + ": add moemesh.router.discovery=file or drop the experts file");
        }
        if (!expertsFilePoll.isPositive()) {
            throw new IllegalArgumentException("moemesh.router.experts-file-poll must be positive, got "
                    + expertsFilePoll);
        }
    }

    /**
     * {@code moemesh.router.metrics.*}.
     *
     * @param perUnit whether to publish the per-unit meters {@code moemesh.router.unit.tokens} and
     *                {@code moemesh.router.unit.calls}: two series per (layer, expert), so 2 × layers × experts
     *                in all; turn off for models with thousands of units (per-layer and per-endpoint meters stay)
     */
    public record Metrics(@DefaultValue("true") boolean perUnit) {
    }

    /** Where the expert endpoints come from. */
    public enum Discovery {
        STATIC, FILE, KUBERNETES
    }

    /** Whether the experts run in other processes: Kubernetes or file discovery, or a static list of endpoints. */
    boolean remoteExperts() {
        return discovery != Discovery.STATIC || !experts.isEmpty();
    }

    DiscoveryProperties discoveryProperties() {
        return new DiscoveryProperties(discoveryDebounce, discoveryEmptyGrace, discoveryResync);
    }

    DispatchProperties dispatch() {
        return DispatchProperties.builder().callTimeout(expertCallTimeout)
                .wireDtype(DispatchProperties.wireDtype(wireDtype)).breakerWindow(breakerWindow)
                .breakerFailureRate(breakerFailureRate).breakerOpenFor(breakerOpenFor)
                .maxConcurrentCalls(expertMaxConcurrentCalls).transport(expertTransport).build();
    }

    /**
     * The largest Compute answer an expert endpoint sends back: one row of F32 hidden state per
     * token of a step, and a step holds at most the prefill budget (or one prompt, which the context
     * bounds) plus the running sequences' decode tokens; 64 KiB for the message's own framing.
     */
    int maxExpertResponseBytes(ModelConfig config) {
        long tokens = (long) Math.max(maxPrefillTokens, config.maxPositionEmbeddings()) + maxRunningSequences;
        long bytes = tokens * config.hiddenSize() * Float.BYTES + (64 << 10);
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    /** The budget of traced steps, by {@code nanoTime}. */
    StepTraceBudget stepTraceBudget(LongSupplier nanoTime) {
        return StepTraceBudget.perSecond(tracedStepsPerSecond, nanoTime);
    }

    SchedulerProperties scheduler(AdmissionProperties admission) {
        return SchedulerProperties.builder().maxQueuedRequests(maxQueuedRequests)
                .maxRunningSequences(maxRunningSequences).maxPrefillTokens(maxPrefillTokens)
                .maxQueuedPerCaller(admission.maxQueuedPerCaller()).kvCacheBudgetBytes(admission.kvCacheBudget().toBytes())
                .maxKvCacheWait(admission.maxKvCacheWait()).pingPongMinTokens(pingPongMinTokens).build();
    }
}
