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
import java.util.ArrayList;
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
 * expert units, the router's endpoint refresh) — a caller is allowed when any DNS subject
 * alternative name of its certificate, or its subject CN, is listed; any other caller, verified by
 * the CA or not, gets PERMISSION_DENIED listing the names it presented. Other methods pass untouched: the TLS
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
        Optional<X509Certificate> cert = certificate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        Names names = cert.map(PeerIdentityInterceptor::names).orElse(new Names(List.of(), Optional.empty()));
        // a certificate often names a pod and its service: any of its names (or its CN) may be the allowed one
        if (names.dns().stream().anyMatch(allowed::contains) || names.cn().filter(allowed::contains).isPresent()) {
            return next.startCall(call, headers);
        }
        String peer = cert.isEmpty() ? "(no client certificate)"
                : names.first().orElse("(no name)") + "' (names seen: DNS " + names.dns() + ", CN "
                        + names.cn().orElse("(none)") + ")";
        call.close(Status.PERMISSION_DENIED.withDescription("peer '" + peer
                + (cert.isEmpty() ? "'" : "") + " may not call " + call.getMethodDescriptor().getFullMethodName()
                + "; allowed identities are moemesh.auth.mutating-peers " + allowed), new Metadata());
        return new ServerCall.Listener<>() { };
    }

    /** A certificate's DNS subject alternative names, in order, and its subject CN. */
    record Names(List<String> dns, Optional<String> cn) {

        /** The identity a caller is named by: the first DNS name, else the CN. */
        Optional<String> first() {
            return dns.isEmpty() ? cn : Optional.of(dns.getFirst());
        }
    }

    /** The peer certificate's first DNS subject alternative name, else its subject CN. */
    public static Optional<String> identity(SSLSession session) {
        return certificate(session).flatMap(PeerIdentityInterceptor::identity);
    }

    static Optional<String> identity(X509Certificate cert) {
        return names(cert).first();
    }

    private static Optional<X509Certificate> certificate(SSLSession session) {
        if (session == null) {
            return Optional.empty();
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate cert ? Optional.of(cert) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    static Names names(X509Certificate cert) {
        List<String> dns = new ArrayList<>();
        try {
            Collection<List<?>> names = cert.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> name : names) {
                    if (name.size() == 2 && Integer.valueOf(SAN_DNS).equals(name.get(0))) {
                        dns.add((String) name.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // unreadable extension: no DNS names, the CN may still name the peer
        }
        Optional<String> cn = Optional.empty();
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (cn.isEmpty() && rdn.getType().equalsIgnoreCase("CN")) {
                    cn = Optional.of(rdn.getValue().toString());
                }
            }
        } catch (InvalidNameException e) {
            // no CN
        }
        return new Names(List.copyOf(dns), cn);
    }
}
