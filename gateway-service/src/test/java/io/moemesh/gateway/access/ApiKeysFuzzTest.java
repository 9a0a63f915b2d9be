package io.moemesh.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;

/**
 * The {@code authorization} header is the first thing the public edge reads from anyone. Contract:
 * {@link ApiKeys#authenticate} never throws, and admits exactly {@code Bearer <key>} (any case of
 * "bearer", surrounding spaces) for a key in use, naming the caller by fingerprint; and a key file's
 * lines parse to keys or reasons without throwing.
 */
class ApiKeysFuzzTest {

    private static final String KEY = "fuzz-key-0123456789abcdef0123456789abcdef";
    private final ApiKeys keys = new ApiKeys(List.of(KEY));

    @FuzzTest
    void admitsOnlyTheBearerKey(String authorization) {
        var caller = keys.authenticate(authorization);

        String presented = ApiKeys.presentedKey(authorization);
        assertThat(caller.isPresent()).isEqualTo(KEY.equals(presented));
        caller.ifPresent(c -> assertThat(c.id()).isEqualTo(ApiKeys.fingerprint(KEY)));
    }

    @FuzzTest
    void parsesAnyKeyFileToKeysOrReasons(byte[] content) {
        for (ApiKeyStore.KeyLine line : ApiKeyStore.parse(content)) {
            assertThat(line.number()).isPositive();
            assertThat(line.problem() == null).isEqualTo(line.key().length() >= ApiKeys.MIN_LENGTH
                    && line.key().length() <= ApiKeys.MAX_LENGTH && line.key().chars().allMatch(c -> c > 0x20 && c < 0x7f
                            && c != ','));
        }
    }
}
