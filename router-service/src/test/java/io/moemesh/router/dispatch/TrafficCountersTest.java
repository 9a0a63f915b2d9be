package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The dispatch's counters add up what layer steps report, and nothing before a step completes. */
class TrafficCountersTest {

    /** Two tokens for one endpoint: token 0 for experts 0 and 1, token 1 for expert 1. */
    private static final Assignment TWO_TOKENS = new Assignment(0, List.of(0, 1),
            List.of(new int[] {0, 1}, new int[] {1}), List.of(new float[] {0.5f, 0.5f}, new float[] {1f}),
            List.of(false, false));

    @Test
    void countsCallsTokensAndBytesAsTheyAreSent() {
        TrafficCounters counters = new TrafficCounters();

        counters.sent(0, TWO_TOKENS, 128);
        counters.received(64);
        counters.failed();

        RemoteExperts.Traffic traffic = counters.snapshot();
        assertThat(traffic.calls()).isEqualTo(1);
        assertThat(traffic.tokenSends()).isEqualTo(2);
        assertThat(traffic.bytesSent()).isEqualTo(128);
        assertThat(traffic.bytesReceived()).isEqualTo(64);
        assertThat(traffic.failedCalls()).isEqualTo(1);
        assertThat(traffic.layerSteps()).as("no step has completed").isZero();
        assertThat(traffic.tokenLayers()).isZero();
    }

    @Test
    void sumsTheTokensAndPhasesOfCompletedSteps() {
        TrafficCounters counters = new TrafficCounters();

        counters.stepped(0, 3, new RemoteExperts.Phases(100, 10, 80, 5, 60));
        counters.stepped(1, 2, new RemoteExperts.Phases(200, 20, 160, 10, 90));

        RemoteExperts.Traffic traffic = counters.snapshot();
        assertThat(traffic.layerSteps()).isEqualTo(2);
        assertThat(traffic.tokenLayers()).isEqualTo(5);
        assertThat(traffic.phases()).isEqualTo(new RemoteExperts.Phases(300, 30, 240, 15, 150));
        assertThat(Arrays.stream(traffic.stepTimes().counts()).sum()).isEqualTo(2);
    }
}
