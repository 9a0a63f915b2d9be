package io.moemesh.gateway.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/** The accepted API keys. Empty means authentication is off and every call is {@link Caller#ANONYMOUS}. */
public final class ApiKeys {

    private static final String BEARER = "bearer ";

    private final List<byte[]> keys;
    private final List<Caller> callers;

    public ApiKeys(List<String> keys) {
        this.keys = keys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
        this.callers = keys.stream().map(k -> new Caller("key-" + fingerprint(k))).toList();
    }

    public boolean enabled() {
        return !keys.isEmpty();
    }

    /**
     * The caller an {@code authorization} header value ({@code Bearer <key>}) belongs to, or empty.
     * Compares against every key in constant time, so timing tells nothing about how close a guess was.
     */
    public Optional<Caller> authenticate(String authorization) {
        if (authorization == null || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Optional.empty();
        }
        byte[] presented = authorization.substring(BEARER.length()).strip().getBytes(StandardCharsets.UTF_8);
        Caller match = null;
        for (int i = 0; i < keys.size(); i++) {
            if (MessageDigest.isEqual(keys.get(i), presented)) {
                match = callers.get(i);
            }
        }
        return Optional.ofNullable(match);
    }

    /** First 12 hex digits of the key's SHA-256: tells keys apart in logs and metrics without revealing them. */
    static String fingerprint(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
