package io.moemesh.gateway.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * One immutable set of accepted API keys ({@link ApiKeyStore} swaps whole sets on reload). Empty
 * means authentication is off, which {@link ApiKeyStore} allows only with
 * {@code moemesh.gateway.allow-unauthenticated=true}.
 */
public final class ApiKeys {

    /** 32 characters of a random base64 or hex key is at least 128 bits: not guessable within any throttle. */
    public static final int MIN_LENGTH = 32;
    /** Longest key: bounds the bytes hashed and compared per call. */
    public static final int MAX_LENGTH = 512;

    private static final String BEARER = "bearer ";

    private final List<byte[]> keys;
    private final List<Caller> callers;

    public ApiKeys(List<String> keys) {
        this.keys = keys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
        this.callers = keys.stream().map(k -> Caller.ofKey(fingerprint(k))).toList();
    }

    public boolean enabled() {
        return !keys.isEmpty();
    }

    public int size() {
        return keys.size();
    }

    /** The keys' fingerprints, for logs. */
    public List<String> fingerprints() {
        return callers.stream().map(Caller::id).toList();
    }

    /**
     * The caller an {@code authorization} header value ({@code Bearer <key>}) belongs to, or empty.
     * Compares against every key in constant time, so timing tells nothing about how close a guess was.
     */
    public Optional<Caller> authenticate(String authorization) {
        String presented = presentedKey(authorization);
        if (presented == null) {
            return Optional.empty();
        }
        byte[] bytes = presented.getBytes(StandardCharsets.UTF_8);
        Caller match = null;
        for (int i = 0; i < keys.size(); i++) {
            if (MessageDigest.isEqual(keys.get(i), bytes)) {
                match = callers.get(i);
            }
        }
        return Optional.ofNullable(match);
    }

    /** The key in an {@code authorization} header value, or null when there is none. */
    static String presentedKey(String authorization) {
        if (authorization == null || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        String key = authorization.substring(BEARER.length()).strip();
        return key.isEmpty() ? null : key;
    }

    /**
     * Why {@code key} cannot be an API key, or null when it can. Names the key by its fingerprint,
     * never by its text: the message goes to logs and start-up errors.
     */
    public static String problemWith(String key) {
        if (key.length() < MIN_LENGTH) {
            return "the key with fingerprint " + fingerprint(key) + " is " + key.length() + " characters; keys must be"
                    + " at least " + MIN_LENGTH + " (generate one with: openssl rand -hex 32)";
        }
        if (key.length() > MAX_LENGTH) {
            return "the key with fingerprint " + fingerprint(key) + " is " + key.length() + " characters; the limit is "
                    + MAX_LENGTH;
        }
        if (!key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            return "the key with fingerprint " + fingerprint(key)
                    + " has characters other than printable ASCII (no spaces or commas)";
        }
        if (key.indexOf(',') >= 0) {
            return "the key with fingerprint " + fingerprint(key) + " contains a comma, which separates inline keys";
        }
        return null;
    }

    /** First 12 hex digits of the key's SHA-256: tells keys apart in logs and metrics without revealing them. */
    public static String fingerprint(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
