package io.moemesh.service.transport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Internal services fail closed: they start only when callers must authenticate (the internal
 * token, or mTLS), or when the operator said in so many words that they need not.
 */
public final class InternalAuthRule {

    private static final Logger LOG = LoggerFactory.getLogger(InternalAuthRule.class);

    private InternalAuthRule() {
    }

    /** Throws IllegalStateException naming the settings when {@code service} would accept anyone. */
    public static void check(String service, AuthProperties auth, TlsProperties tls, boolean tokenLoaded) {
        if (tokenLoaded || tls.mutualTls()) {
            LOG.info("{}: internal callers authenticate with {}", service,
                    tokenLoaded && tls.mutualTls() ? "the internal token and a client certificate"
                            : tokenLoaded ? "the internal token" : "a client certificate");
            return;
        }
        if (auth.allowUnauthenticated()) {
            LOG.warn("{}: moemesh.auth.allow-unauthenticated=true: its gRPC services accept calls from anyone who can"
                    + " reach them (no internal token, no mTLS); use it only on loopback or a closed network", service);
            return;
        }
        throw new IllegalStateException(service + " refuses to start without authentication of internal callers: set"
                + " moemesh.auth.internal-token-file (a file holding a shared token of at least "
                + InternalToken.MIN_LENGTH + " characters), or moemesh.tls.client-auth=require (mTLS, with"
                + " moemesh.tls.cert-file/key-file/ca-file), or moemesh.auth.allow-unauthenticated=true (local"
                + " development on loopback only)");
    }
}
