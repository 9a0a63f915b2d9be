package io.moemesh.placement.dashboard;

import java.util.Map;
import java.util.TreeMap;

/**
 * Calls per latency bucket, merged over routers by bucket bound (routers may use different bounds),
 * and the quantiles read from them. A quantile is interpolated linearly inside its bucket, between
 * the bound below (0 for the first) and the bucket's own bound, as Prometheus' histogram_quantile
 * does; one that falls among the calls slower than the last bound reads as that bound.
 */
final class LatencyHistogram {

    private final TreeMap<Long, Long> countsByBound = new TreeMap<>();
    private long slower;

    /** Adds one router's bucket counts ({@code counts.length == boundsMicros.length + 1}). */
    void add(long[] boundsMicros, long[] counts) {
        for (int i = 0; i < boundsMicros.length; i++) {
            countsByBound.merge(boundsMicros[i], counts[i], Long::sum);
        }
        slower += counts[boundsMicros.length];
    }

    long total() {
        return slower + countsByBound.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The {@code q}-quantile in milliseconds, or null without calls. */
    Double quantileMillis(double q) {
        long total = total();
        if (total == 0) {
            return null;
        }
        double rank = q * total;
        long below = 0;
        long lower = 0;
        for (Map.Entry<Long, Long> bucket : countsByBound.entrySet()) {
            long n = bucket.getValue();
            if (n > 0 && below + n >= rank) {
                double within = (rank - below) / n;
                return (lower + within * (bucket.getKey() - lower)) / 1000.0;
            }
            below += n;
            lower = bucket.getKey();
        }
        return lower / 1000.0;
    }
}
