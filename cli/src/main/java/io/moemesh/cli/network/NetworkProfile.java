package io.moemesh.cli.network;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The network the emulated links stand for, between the router and its expert endpoints.
 *
 * <p>A message from the router to an endpoint is serialized onto the router's link, then onto the
 * link of the endpoint's node (each at {@code bitsPerSecond}, first come first served, shared by
 * every connection that crosses it), then travels {@code rtt/2} plus a jitter drawn from an
 * exponential distribution with mean {@code jitterNanos}; replies go the same way back. Bytes of one
 * connection arrive in order, as TCP delivers them, so a late chunk holds back those after it.
 *
 * @param rttNanos          round trip time without queueing; 0 = none
 * @param jitterNanos       mean of the extra one-way delay per chunk (exponential); 0 = none
 * @param bitsPerSecond     bandwidth of every link, per direction; 0 = unlimited
 * @param endpointsPerNode  expert endpoints that share one node's link, in endpoint order (1 = each its own)
 * @param payloadScale      bytes count this many times on the links (>= 1): what-if for activations wider
 *                          than the served model's, e.g. 19 for DeepSeek-V3's 7168-wide bf16 hidden state
 *                          against mesh-mini-16e's 192-wide fp32 one; only serialization time changes
 */
public record NetworkProfile(long rttNanos, long jitterNanos, long bitsPerSecond, int endpointsPerNode,
        int payloadScale) {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|ms|s)");
    private static final Pattern RATE = Pattern.compile("(\\d+(?:\\.\\d+)?)(kbit|mbit|gbit|bit)");

    /** No delay and no bandwidth limit: what the emulation costs by itself (two loopback hops). */
    public static final NetworkProfile NONE = new NetworkProfile(0, 0, 0, 1, 1);

    /**
     * Named networks (docs/placement.md, "Emulated network", says where each figure comes from):
     * the same rack, another rack of the same zone, and another availability zone.
     */
    public static final Map<String, NetworkProfile> PRESETS = presets();

    public NetworkProfile {
        if (rttNanos < 0 || jitterNanos < 0 || bitsPerSecond < 0) {
            throw new IllegalArgumentException("rtt, jitter and bandwidth must be >= 0, got " + rttNanos + " ns, "
                    + jitterNanos + " ns, " + bitsPerSecond + " bit/s");
        }
        if (endpointsPerNode < 1) {
            throw new IllegalArgumentException("endpoints per node must be >= 1, got " + endpointsPerNode);
        }
        if (payloadScale < 1) {
            throw new IllegalArgumentException("payload scale must be >= 1, got " + payloadScale);
        }
    }

    private static Map<String, NetworkProfile> presets() {
        Map<String, NetworkProfile> p = new LinkedHashMap<>();
        p.put("none", NONE);
        p.put("rack", parse("rtt=100us,jitter=10us,bandwidth=25gbit"));
        p.put("zone", parse("rtt=500us,jitter=50us,bandwidth=10gbit"));
        p.put("cross-zone", parse("rtt=2ms,jitter=200us,bandwidth=1gbit"));
        return Collections.unmodifiableMap(p);
    }

    /**
     * A preset name, or {@code key=value} pairs separated by commas: {@code rtt} and {@code jitter}
     * (ns, us, ms or s), {@code bandwidth} (bit, kbit, mbit or gbit per second; 0 = unlimited),
     * {@code node} (endpoints per node), {@code scale} (payload scale). Unnamed keys keep {@link #NONE}'s values.
     */
    public static NetworkProfile parse(String spec) {
        String text = spec.strip().toLowerCase(Locale.ROOT);
        if (PRESETS != null && PRESETS.containsKey(text)) {
            return PRESETS.get(text);
        }
        long rtt = 0;
        long jitter = 0;
        long bandwidth = 0;
        int node = 1;
        int scale = 1;
        for (String part : text.split(",")) {
            String[] kv = part.strip().split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("network '" + spec + "': expected a preset ("
                        + String.join(", ", PRESETS.keySet()) + ") or key=value pairs such as "
                        + "rtt=200us,jitter=20us,bandwidth=10gbit,node=2; got '" + part + "'");
            }
            switch (kv[0].strip()) {
                case "rtt" -> rtt = nanos(kv[1], spec);
                case "jitter" -> jitter = nanos(kv[1], spec);
                case "bandwidth" -> bandwidth = bitsPerSecond(kv[1], spec);
                case "node" -> node = Integer.parseInt(kv[1].strip());
                case "scale" -> scale = Integer.parseInt(kv[1].strip());
                default -> throw new IllegalArgumentException("network '" + spec + "': unknown key '" + kv[0]
                        + "'; known: rtt, jitter, bandwidth, node, scale");
            }
        }
        return new NetworkProfile(rtt, jitter, bandwidth, node, scale);
    }

    /** The form {@link #parse} reads back. */
    public String spell() {
        return "rtt=" + (rttNanos / 1000) + "us,jitter=" + (jitterNanos / 1000) + "us,bandwidth="
                + (bitsPerSecond / 1_000_000) + "mbit,node=" + endpointsPerNode + ",scale=" + payloadScale;
    }

    /** Nanoseconds {@code bytes} take on one link; 0 when bandwidth is unlimited. */
    public long serializationNanos(long bytes) {
        return bitsPerSecond == 0 ? 0 : Math.round(bytes * payloadScale * 8 * 1e9 / bitsPerSecond);
    }

    private static long nanos(String value, String spec) {
        return scaled(value, spec, DURATION, "a duration such as 200us, 1.5ms or 0",
                Map.of("ns", 1.0, "us", 1e3, "ms", 1e6, "s", 1e9));
    }

    private static long bitsPerSecond(String value, String spec) {
        return scaled(value, spec, RATE, "a rate such as 10gbit, 500mbit or 0 (unlimited)",
                Map.of("bit", 1.0, "kbit", 1e3, "mbit", 1e6, "gbit", 1e9));
    }

    /** A number with one of {@code units} (group 2 of {@code pattern}) in the base unit, or a bare 0. */
    private static long scaled(String value, String spec, Pattern pattern, String expected, Map<String, Double> units) {
        if (value.strip().equals("0")) {
            return 0;
        }
        Matcher m = pattern.matcher(value.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("network '" + spec + "': '" + value + "' is not " + expected);
        }
        return Math.round(Double.parseDouble(m.group(1)) * units.get(m.group(2)));
    }
}
