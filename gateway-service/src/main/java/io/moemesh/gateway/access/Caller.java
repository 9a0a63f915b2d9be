package io.moemesh.gateway.access;

import io.grpc.Context;

/**
 * Who is calling, as the gateway tells the router in {@code moemesh-caller} and keys its per-caller
 * limits: an API key, known by its fingerprint (never the key itself, which must not reach logs,
 * metrics or other services), or, when authentication is off, {@code anonymous:<peer address>}, so
 * that anonymous callers do not share one limit.
 */
public record Caller(String id) {

    /** Set by {@link ApiKeyAuthenticator} for the rest of the call. */
    public static final Context.Key<Caller> CURRENT = Context.keyWithDefault("moemesh-caller", anonymous("unknown"));

    public static Caller ofKey(String fingerprint) {
        return new Caller(fingerprint);
    }

    public static Caller anonymous(String peer) {
        return new Caller("anonymous:" + peer);
    }

    public boolean isAnonymous() {
        return id.startsWith("anonymous:");
    }

    /** How refusals name the caller: "this API key" or "anonymous callers from <peer>". */
    public String describe() {
        return isAnonymous() ? "anonymous callers from " + id.substring("anonymous:".length()) : "this API key";
    }
}
