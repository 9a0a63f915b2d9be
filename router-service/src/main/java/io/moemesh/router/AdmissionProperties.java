package io.moemesh.router;

import io.moemesh.proto.validation.RequestLimits;
import io.moemesh.router.batching.KvCacheBudget;
import io.moemesh.router.batching.SchedulerProperties;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.util.unit.DataSize;

/**
 * {@code moemesh.router.*}: what a Generate request may ask of the router and what the router admits.
 * The router's public port is reachable without a gateway (by internal callers), so it checks
 * requests with the gateway's validator and the gateway's defaults; set both sides alike. Bound
 * beside {@link RouterProperties}, same prefix.
 *
 * @param maxPromptBytes    largest prompt text, in UTF-8 bytes
 * @param maxPromptTokens   most prompt tokens: token ids as sent, or text after tokenization (also capped by the
 *                          model's context)
 * @param maxTokensLimit    largest {@code sampling.max_tokens}
 * @param defaultMaxTokens  {@code sampling.max_tokens} when the caller sends 0
 * @param maxStopStrings    most stop strings in one request
 * @param kvCacheBudget     bytes of KV cache that running requests may reserve together; a request reserves its
 *                          whole cache (F32 keys and values, prompt + max_tokens positions within the context) when
 *                          it joins the batch, and waits in the queue while too little is left. Unset: a quarter of
 *                          the JVM's maximum heap
 * @param maxQueuedPerCaller requests one caller ({@code moemesh-caller} header, else the peer's address) may have
 *                          waiting to join the batch; the queue admits callers round-robin, the caller whose
 *                          running requests hold least KV cache first
 * @param maxKvCacheWait    a request queued longer than this whose KV cache still does not fit what is left of the
 *                          budget is refused (RESOURCE_EXHAUSTED naming the budget)
 */
@ConfigurationProperties("moemesh.router")
public record AdmissionProperties(
        @DefaultValue("" + RequestLimits.DEFAULT_MAX_PROMPT_BYTES) int maxPromptBytes,
        @DefaultValue("" + RequestLimits.DEFAULT_MAX_PROMPT_TOKENS) int maxPromptTokens,
        @DefaultValue("" + RequestLimits.DEFAULT_MAX_TOKENS_LIMIT) int maxTokensLimit,
        @DefaultValue("" + RequestLimits.DEFAULT_MAX_TOKENS) int defaultMaxTokens,
        @DefaultValue("" + RequestLimits.DEFAULT_MAX_STOP_STRINGS) int maxStopStrings,
        DataSize kvCacheBudget,
        @DefaultValue("" + SchedulerProperties.DEFAULT_MAX_QUEUED_PER_CALLER) int maxQueuedPerCaller,
        @DefaultValue(SchedulerProperties.DEFAULT_MAX_KV_CACHE_WAIT) Duration maxKvCacheWait) {

    public AdmissionProperties {
        kvCacheBudget = kvCacheBudget == null
                ? DataSize.ofBytes(KvCacheBudget.defaultBudgetBytes())
                : kvCacheBudget;
        require(maxPromptBytes > 0, "moemesh.router.max-prompt-bytes must be > 0, got " + maxPromptBytes);
        require(maxPromptTokens > 0, "moemesh.router.max-prompt-tokens must be > 0, got " + maxPromptTokens);
        require(maxTokensLimit > 0, "moemesh.router.max-tokens-limit must be > 0, got " + maxTokensLimit);
        require(defaultMaxTokens > 0 && defaultMaxTokens <= maxTokensLimit, "moemesh.router.default-max-tokens must"
                + " be in 1..max-tokens-limit (" + maxTokensLimit + "), got " + defaultMaxTokens);
        require(maxStopStrings >= 0, "moemesh.router.max-stop-strings must be >= 0, got " + maxStopStrings);
        require(kvCacheBudget.toBytes() > 0, "moemesh.router.kv-cache-budget must be positive, got " + kvCacheBudget);
        require(maxKvCacheWait.isPositive(), "moemesh.router.max-kv-cache-wait must be positive, got "
                + maxKvCacheWait);
        require(maxQueuedPerCaller > 0, "moemesh.router.max-queued-per-caller must be > 0, got "
                + maxQueuedPerCaller);
    }

    /**
     * Every default, as a router started without these settings has them: bound from no properties at
     * all, so the defaults stay where the {@code @DefaultValue}s above take them from ({@link RequestLimits},
     * {@link SchedulerProperties}), spelled nowhere else.
     */
    public static AdmissionProperties defaults() {
        return new Binder(new MapConfigurationPropertySource()).bindOrCreate("moemesh.router", AdmissionProperties.class);
    }

    public RequestLimits requestLimits() {
        return new RequestLimits(maxPromptBytes, maxPromptTokens, maxTokensLimit, defaultMaxTokens, maxStopStrings);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
