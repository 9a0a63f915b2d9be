package io.moemesh.expert;

import io.moemesh.expert.batching.BatchingPolicy;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.expert.unit.UnitPlacement;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code moemesh.expert.*}: what this endpoint hosts and how it serves it. Every option but the
 * model directory and the hosted experts has a default, here and only here (application.yaml repeats
 * none of them); invalid values stop start-up with a message naming the property.
 *
 * @param modelDir       model folder ({@code config.json} + safetensors); required
 * @param experts        expert indices hosted for every layer ("one service per expert")
 * @param extraUnits     partner units from the placement controller, {@code EXPERT:LAYER} ({@code 7:1})
 * @param grpcPort       gRPC port; 0 picks a free one
 * @param kernels        compute kernels: best (Vector API when the JVM has it), vector or scalar
 * @param maxBatchTokens most tokens one forward pass merges
 * @param maxQueueDelay  longest a request waits queued behind a running batch of its unit; a request
 *                       for an idle unit is dispatched at once and never waits for company
 * @param queueCapacity  tokens a unit may hold queued before new work is refused
 * @param workers        forward-pass threads shared by all units; 0 means one per available processor
 * @param inlineMaxTokens a batch of at most this many tokens for an idle unit runs on the thread that
 *                       received the call (the gRPC transport thread) instead of being handed to a
 *                       worker, and its answer is written from there: two thread hand-offs fewer per
 *                       call. 0 turns it off; keep it small, the transport thread reads nothing else meanwhile
 * @param drainTimeout   how long shutdown lets in-flight calls finish
 * @param endpointId     id reported by Describe; empty means host:port
 * @param warmup         how long to run the hosted units on zeros before reporting SERVING, so the
 *                       first real calls do not wait for the JIT; 0 turns it off
 * @param loopbackWarmup how long the service calls its own Compute over loopback before reporting
 *                       SERVING, so the JIT has compiled the call path too; 0 turns it off
 * @param shutdownQuietPeriod at shutdown, after health turned NOT_SERVING, no Compute call for this long
 *                       means the routers have switched away ({@code grpc.ShutdownDrain})
 * @param shutdownMaxWait at shutdown, answer Compute calls for at most this long before the server
 *                       drains; 0 (the default outside Kubernetes, where the controller stops a
 *                       process only after the routers switched) turns the wait off; the chart sets it
 * @param partnerWarmup  how long partner units added at run time ({@code SetPartnerUnits}) run on zeros
 *                       before the call returns, after one round that always runs; 0 turns it off
 */
@ConfigurationProperties("moemesh.expert")
public record ExpertServiceProperties(
        Path modelDir,
        @DefaultValue List<Integer> experts,
        @DefaultValue List<String> extraUnits,
        @DefaultValue("50061") int grpcPort,
        @DefaultValue("best") KernelChoice kernels,
        @DefaultValue("256") int maxBatchTokens,
        @DefaultValue("2ms") Duration maxQueueDelay,
        @DefaultValue("4096") int queueCapacity,
        @DefaultValue("0") int workers,
        @DefaultValue("" + ExpertServiceProperties.DEFAULT_INLINE_MAX_TOKENS) int inlineMaxTokens,
        @DefaultValue("10s") Duration drainTimeout,
        @DefaultValue("") String endpointId,
        @DefaultValue("1s") Duration warmup,
        @DefaultValue("5s") Duration loopbackWarmup,
        @DefaultValue("200ms") Duration partnerWarmup,
        @DefaultValue("2s") Duration shutdownQuietPeriod,
        @DefaultValue("0s") Duration shutdownMaxWait) {

    /** Small enough that the transport thread is busy for well under a millisecond at the shipped model's shape. */
    static final int DEFAULT_INLINE_MAX_TOKENS = 16;

    public enum KernelChoice {
        BEST,
        VECTOR,
        SCALAR
    }

    public ExpertServiceProperties {
        if (modelDir == null) {
            throw new IllegalArgumentException("moemesh.expert.model-dir is required: the folder of the model "
                    + "(config.json + model.safetensors), e.g. --moemesh.expert.model-dir=models/tiny-random");
        }
        experts = List.copyOf(experts);
        // blank entries are no units: Kubernetes passes "" for a pod annotation the controller has not written yet
        extraUnits = extraUnits.stream().filter(u -> !u.isBlank()).toList();
        workers = workers == 0 ? Runtime.getRuntime().availableProcessors() : workers;
        endpointId = endpointId.strip();
        require(!warmup.isNegative(), "moemesh.expert.warmup must not be negative, got " + warmup);
        require(!loopbackWarmup.isNegative(),
                "moemesh.expert.loopback-warmup must not be negative, got " + loopbackWarmup);
        require(!partnerWarmup.isNegative(),
                "moemesh.expert.partner-warmup must not be negative, got " + partnerWarmup);
        require(!shutdownQuietPeriod.isNegative() && !shutdownMaxWait.isNegative(),
                "moemesh.expert.shutdown-quiet-period and shutdown-max-wait must not be negative, got "
                        + shutdownQuietPeriod + " and " + shutdownMaxWait);
        require(grpcPort >= 0 && grpcPort <= 65535, "moemesh.expert.grpc-port must be 0..65535, got " + grpcPort);
        require(!drainTimeout.isNegative(), "moemesh.expert.drain-timeout must not be negative, got " + drainTimeout);
        for (int expert : experts) {
            require(expert >= 0, "moemesh.expert.experts must hold expert indices >= 0, got " + expert);
        }
        placement(experts, extraUnits);
        batching(maxBatchTokens, maxQueueDelay, queueCapacity, workers, inlineMaxTokens);
    }

    /** The hosted units as configured, before they are checked against the model. */
    public UnitPlacement placement() {
        return placement(experts, extraUnits);
    }

    public BatchingPolicy batching() {
        return batching(maxBatchTokens, maxQueueDelay, queueCapacity, workers, inlineMaxTokens);
    }

    private static UnitPlacement placement(List<Integer> experts, List<String> extraUnits) {
        try {
            return new UnitPlacement(experts, extraUnits.stream().map(UnitId::parse).toList());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("moemesh.expert.experts / extra-units: " + e.getMessage());
        }
    }

    private static BatchingPolicy batching(int maxBatchTokens, Duration maxQueueDelay, int queueCapacity, int workers,
            int inlineMaxTokens) {
        try {
            return new BatchingPolicy(maxBatchTokens, maxQueueDelay, queueCapacity, workers, inlineMaxTokens);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("moemesh.expert." + e.getMessage());
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
