package io.moemesh.router.batching;

/**
 * An expert a request's tokens were routed away from, {@code tokens} token-steps: because no endpoint could
 * serve it (skipped, degraded) or because the placement controller pruned it (planned).
 */
public record ReroutedExpert(int layer, int expert, int tokens) {
}
