package io.moemesh.service.transport;

import java.nio.file.Path;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code moemesh.auth.*}: how the internal services (router, expert, placement controller) know
 * their callers.
 *
 * @param internalTokenFile   file holding the shared internal tokens, one per line (at least 32 printable characters
 *                            each; all accepted, the first sent: two lines during a rotation), re-read when
 *                            it changes; internal servers require {@code authorization: Bearer <token>} on every RPC
 *                            but health, and internal clients send it
 * @param allowUnauthenticated start internal servers with neither a token nor mTLS (local mode on loopback only)
 * @param mutatingPeers       with {@code moemesh.tls.client-auth=require}: certificate identities (DNS SAN, else CN)
 *                            allowed to call the mutating internal RPCs; empty = any certificate the CA signed
 */
@ConfigurationProperties("moemesh.auth")
public record AuthProperties(
        Path internalTokenFile,
        @DefaultValue("false") boolean allowUnauthenticated,
        @DefaultValue List<String> mutatingPeers) {

    public AuthProperties {
        mutatingPeers = mutatingPeers == null ? List.of()
                : mutatingPeers.stream().map(String::strip).filter(p -> !p.isEmpty()).toList();
    }

    /** No token, no peer list; {@code allowUnauthenticated} as given: for tests and tools. */
    public static AuthProperties of(Path internalTokenFile, boolean allowUnauthenticated) {
        return new AuthProperties(internalTokenFile, allowUnauthenticated, List.of());
    }
}
