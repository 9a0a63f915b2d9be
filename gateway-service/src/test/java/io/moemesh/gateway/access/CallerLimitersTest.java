package io.moemesh.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.moemesh.gateway.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CallerLimitersTest {

    private final CallerLimiters limiters =
            new CallerLimiters(new CallerQuotas(1_000, Duration.ofSeconds(1), 2, 1_000, 1), new FakeTicker());

    @Test
    void releasingTwiceGivesBackOnePermit() {
        Caller caller = Caller.ofKey("aaaaaaaaaaaa");
        Runnable first = limiters.acquireConcurrent(caller);
        limiters.acquireConcurrent(caller);

        first.run();
        first.run();
        limiters.acquireConcurrent(caller);

        assertThat(catchThrowableOfType(LimitExceededException.class, () -> limiters.acquireConcurrent(caller)))
                .hasMessageContaining("at most 2 at once");
    }

    @Test
    void tableOfCallersIsBoundedWhateverTheNumberOfAnonymousPeers() {
        for (int i = 0; i < CallerLimiters.MAX_CALLERS + 500; i++) {
            limiters.acquireRequest(Caller.anonymous("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255)));
        }

        assertThat(limiters.trackedCallers()).isEqualTo(CallerLimiters.MAX_CALLERS);
    }
}
