package io.moemesh.expert.batching;

/** A monotonic nanosecond clock, passed in so that tests can move time instead of waiting for it. */
@FunctionalInterface
public interface Ticker {

    long nanos();

    static Ticker system() {
        return System::nanoTime;
    }
}
