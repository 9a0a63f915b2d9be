package io.moemesh.router.batching;

/** An expert a request's tokens were routed away from, {@code tokens} times, because no endpoint could serve it. */
public record SkippedExpert(int layer, int expert, int tokens) {
}
