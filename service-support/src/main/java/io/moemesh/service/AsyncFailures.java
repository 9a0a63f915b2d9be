package io.moemesh.service;

import java.util.concurrent.CompletionException;

/**
 * The failure a {@code CompletableFuture} stage reports, as its code threw it: a dependent stage sees
 * the original wrapped in a {@link CompletionException}, and a status or a typed refusal must be read
 * from what is inside.
 */
public final class AsyncFailures {

    private AsyncFailures() {
    }

    /** {@code error}'s cause when it is a {@link CompletionException} that has one, else {@code error}. */
    public static Throwable cause(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }
}
