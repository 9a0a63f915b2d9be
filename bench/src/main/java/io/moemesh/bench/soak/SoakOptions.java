package io.moemesh.bench.soak;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Locale;

/**
 * {@code --duration=30m --concurrency=8 --cluster=.moe --out=bench/results/soak-DATE --sample-every=10s
 * --burst-every=2m --burst-size=3000 --seed=1}: all optional.
 *
 * @param duration    how long the mixed traffic runs (the checks before and after come on top)
 * @param concurrency closed-loop workers, each making one call at a time
 * @param cluster     the state directory of {@code moe up} (cluster.json: targets and pids)
 * @param out         where the series and summary go
 * @param sampleEvery how often processes, router metrics and outcomes are sampled
 * @param burstEvery  how often a burst goes over the gateway's rate limit (0 = never)
 * @param burstSize   calls per burst, sent at once; moe up's gateway allows 1000 per second
 */
record SoakOptions(Duration duration, int concurrency, Path cluster, Path out, Duration sampleEvery,
        Duration burstEvery, int burstSize, long seed) {

    SoakOptions {
        if (!duration.isPositive() || concurrency < 1 || !sampleEvery.isPositive() || burstEvery.isNegative()
                || burstSize < 0) {
            throw new IllegalArgumentException("need --duration > 0, --concurrency >= 1, --sample-every > 0, "
                    + "--burst-every >= 0, --burst-size >= 0");
        }
    }

    static SoakOptions parse(String[] args) {
        Duration duration = Duration.ofMinutes(30);
        int concurrency = 8;
        Path cluster = Path.of(".moe");
        Path out = Path.of("bench/results/soak-" + LocalDate.now());
        Duration sampleEvery = Duration.ofSeconds(10);
        Duration burstEvery = Duration.ofMinutes(2);
        int burstSize = 3000;
        long seed = 1;
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                throw new IllegalArgumentException("options are --name=value, got '" + arg + "'; " + usage());
            }
            String value = arg.substring(eq + 1);
            switch (arg.substring(2, eq)) {
                case "duration" -> duration = duration(value);
                case "concurrency" -> concurrency = Integer.parseInt(value);
                case "cluster" -> cluster = Path.of(value);
                case "out" -> out = Path.of(value);
                case "sample-every" -> sampleEvery = duration(value);
                case "burst-every" -> burstEvery = duration(value);
                case "burst-size" -> burstSize = Integer.parseInt(value);
                case "seed" -> seed = Long.parseLong(value);
                default -> throw new IllegalArgumentException("unknown option " + arg + "; " + usage());
            }
        }
        return new SoakOptions(duration, concurrency, cluster, out, sampleEvery, burstEvery, burstSize, seed);
    }

    /** {@code 30m}, {@code 90s}, {@code 1h}, or an ISO-8601 duration. */
    static Duration duration(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT);
        return Duration.parse(t.startsWith("P") ? t : "PT" + t);
    }

    private static String usage() {
        return "known: --duration=30m --concurrency=8 --cluster=.moe --out=DIR --sample-every=10s --burst-every=2m "
                + "--burst-size=3000 --seed=1";
    }
}
