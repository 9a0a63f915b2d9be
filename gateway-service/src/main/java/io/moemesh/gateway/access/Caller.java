package io.moemesh.gateway.access;

import io.grpc.Context;

/**
 * Who is calling: an API key, known by a fingerprint of it (never the key itself, which must not
 * reach logs or metrics), or {@link #ANONYMOUS} when authentication is off.
 */
public record Caller(String id) {

    public static final Caller ANONYMOUS = new Caller("anonymous");

    /** Set by {@link ApiKeyInterceptor} for the rest of the call. */
    public static final Context.Key<Caller> CURRENT = Context.keyWithDefault("moemesh-caller", ANONYMOUS);
}
