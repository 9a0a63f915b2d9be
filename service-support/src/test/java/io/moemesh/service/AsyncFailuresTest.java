package io.moemesh.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AsyncFailuresTest {

    @Test
    void aDependentStageSeesWhatTheFirstStageThrew() {
        IllegalStateException thrown = new IllegalStateException("refused");
        AtomicReference<Throwable> seen = new AtomicReference<>();
        CompletableFuture.<Integer>failedFuture(thrown).thenApply(x -> x + 1)
                .whenComplete((x, error) -> seen.set(error));

        assertThat(seen.get()).isInstanceOf(CompletionException.class);
        assertThat(AsyncFailures.cause(seen.get())).isSameAs(thrown);
    }

    @Test
    void anUnwrappedFailureOrAnEmptyWrapperIsItself() {
        IllegalStateException plain = new IllegalStateException("plain");
        CompletionException empty = new CompletionException(null);

        assertThat(AsyncFailures.cause(plain)).isSameAs(plain);
        assertThat(AsyncFailures.cause(empty)).isSameAs(empty);
    }
}
