package io.moemesh.service.transport;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * With mTLS: only the listed certificate identities may call the mutating methods (re-placement of
 * expert units, the router's endpoint refresh); any other caller, verified by the CA or not, gets
 * PERMISSION_DENIED naming the identity it presented. Other methods pass untouched: the TLS
 * handshake has already verified every caller's certificate.
 */
public final class PeerIdentityInterceptor implements ServerInterceptor {

    private static final int SAN_DNS = 2;

    private final Set<String> mutatingMethods;
    private final Set<String> allowed;

    /**
     * @param mutatingMethods full method names ({@code package.Service/Method}) that need an allowed identity
     * @param allowed         identities allowed to call them
     */
    public PeerIdentityInterceptor(Set<String> mutatingMethods, List<String> allowed) {
        this.mutatingMethods = Set.copyOf(mutatingMethods);
        this.allowed = Set.copyOf(allowed);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        if (!mutatingMethods.contains(call.getMethodDescriptor().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        Optional<String> identity = identity(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        if (identity.isPresent() && allowed.contains(identity.get())) {
            return next.startCall(call, headers);
        }
        call.close(Status.PERMISSION_DENIED.withDescription("peer '" + identity.orElse("(no client certificate)")
                + "' may not call " + call.getMethodDescriptor().getFullMethodName()
                + "; allowed identities are moemesh.auth.mutating-peers " + allowed), new Metadata());
        return new ServerCall.Listener<>() { };
    }

    /** The peer certificate's first DNS subject alternative name, else its subject CN. */
    public static Optional<String> identity(SSLSession session) {
        if (session == null) {
            return Optional.empty();
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate cert ? identity(cert) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    static Optional<String> identity(X509Certificate cert) {
        try {
            Collection<List<?>> names = cert.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> name : names) {
                    if (name.size() == 2 && Integer.valueOf(SAN_DNS).equals(name.get(0))) {
                        return Optional.of((String) name.get(1));
                    }
                }
            }
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return Optional.of(rdn.getValue().toString());
                }
            }
            return Optional.empty();
        } catch (CertificateParsingException | InvalidNameException e) {
            return Optional.empty();
        }
    }
}
