package io.moemesh.gateway.access;

import java.time.Duration;

/**
 * Per-caller limits as configured, for the whole deployment. Each of {@code limitShare} gateways
 * enforces its share, ceil(limit / limitShare), which callers see in refusals.
 *
 * @param requestsPerPeriod     requests a caller may start per {@code period}
 * @param period                the request rate's refresh period
 * @param maxConcurrentRequests calls a caller may have in flight at once
 * @param tokensPerMinute       prompt tokens + {@code max_tokens} a caller may reserve per minute
 * @param limitShare            gateways sharing these limits
 */
public record CallerQuotas(int requestsPerPeriod, Duration period, int maxConcurrentRequests, int tokensPerMinute,
        int limitShare) {

    public int requestsPerPeriodHere() {
        return share(requestsPerPeriod);
    }

    public int maxConcurrentRequestsHere() {
        return share(maxConcurrentRequests);
    }

    public int tokensPerMinuteHere() {
        return share(tokensPerMinute);
    }

    /** "16" or, when shared, "8 on this gateway (16 shared by 2 gateways, moemesh.gateway.limit-share)". */
    String describe(int configured) {
        return limitShare == 1 ? Integer.toString(configured) : share(configured) + " on this gateway (" + configured
                + " shared by " + limitShare + " gateways, moemesh.gateway.limit-share)";
    }

    private int share(int limit) {
        return (int) ((limit + (long) limitShare - 1) / limitShare);
    }
}
