package io.moemesh.client.internal;

import io.grpc.Status;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;

/**
 * Turns a failed TLS handshake, which gRPC reports as {@code UNAVAILABLE: io exception} with the
 * real reason buried in the cause, into a description that says what to change.
 */
public final class TlsFailures {

    private TlsFailures() {
    }

    /** The description for {@code status} when a TLS handshake failed; null when it did not. */
    public static String describe(Status status) {
        if (status.getCode() != Status.Code.UNAVAILABLE) {
            return null;
        }
        SSLException ssl = null;
        boolean untrusted = false;
        for (Throwable t = status.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof SSLException e && ssl == null) {
                ssl = e;
            }
            untrusted |= t instanceof CertificateException;
        }
        if (ssl == null) {
            return null;
        }
        String reason = ssl.getMessage();
        if (untrusted || (reason != null && reason.contains("PKIX"))) {
            return "TLS handshake failed: the server's certificate is not trusted (" + reason + "). If it is issued "
                    + "by a private CA, trust that CA (MoeMeshClient.Builder.tls(caFile); moe generate --ca-cert FILE), "
                    + "and check that the host name you connect to is in the certificate";
        }
        if (reason != null && reason.contains("not an SSL/TLS record")) {
            return "TLS handshake failed: the server does not speak TLS on this port (" + reason + "). Connect "
                    + "without TLS, or to the server's TLS port";
        }
        return "TLS handshake failed (" + reason + "). Check the CA (tls(caFile) / --ca-cert), the client "
                + "certificate if the server requires one (clientCertificate / --client-cert, --client-key), "
                + "and that the server speaks TLS on this port";
    }
}
