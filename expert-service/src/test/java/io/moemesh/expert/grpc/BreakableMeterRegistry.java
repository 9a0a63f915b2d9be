package io.moemesh.expert.grpc;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.cumulative.CumulativeCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicBoolean;

/** A meter registry whose counters fail once, on the first increment after {@link #breakNextIncrement()}. */
final class BreakableMeterRegistry extends SimpleMeterRegistry {

    private final AtomicBoolean broken = new AtomicBoolean();

    void breakNextIncrement() {
        broken.set(true);
    }

    @Override
    protected Counter newCounter(Meter.Id id) {
        return new CumulativeCounter(id) {
            @Override
            public void increment(double amount) {
                if (broken.compareAndSet(true, false)) {
                    throw new IllegalStateException("meter registry failed (test)");
                }
                super.increment(amount);
            }
        };
    }
}
