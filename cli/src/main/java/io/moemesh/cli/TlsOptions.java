package io.moemesh.cli;

import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The TLS options every command that calls a service shares: whether to speak TLS, the CA to trust,
 * the name the server's certificate must carry, and a client certificate for mTLS. Checked together
 * by {@link #check()}: a server name without TLS would only relabel a remote host as "localhost".
 */
final class TlsOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--tls", description = "Speak TLS, trusting the JVM's certificate authorities.")
    boolean tls;

    @Option(names = "--ca-cert", paramLabel = "FILE",
            description = "Speak TLS, trusting the CA certificates in this PEM file (a private or mesh CA); implies --tls.")
    Path caCert;

    @Option(names = "--server-name", paramLabel = "NAME", description = "Host name the server's certificate must "
            + "carry when it differs from the address, e.g. through kubectl port-forward; with --tls or --ca-cert only.")
    String serverName;

    @Option(names = "--client-cert", paramLabel = "FILE",
            description = "Client certificate chain (PEM) for a server that requires one (mTLS); with --client-key; implies --tls.")
    Path clientCert;

    @Option(names = "--client-key", paramLabel = "FILE", description = "Private key (PKCS#8 PEM) of --client-cert.")
    Path clientKey;

    /** Whether the connection speaks TLS. */
    boolean secure() {
        return tls || caCert != null || clientCert != null;
    }

    /** Refuses combinations that cannot work: half a client certificate, a server name without TLS. */
    void check() {
        if (clientCert != null ^ clientKey != null) {
            throw new ParameterException(spec.commandLine(), "--client-cert and --client-key go together");
        }
        if (serverName != null && !secure()) {
            throw new ParameterException(spec.commandLine(), "--server-name needs TLS (--tls or --ca-cert FILE): it is "
                    + "the name the server's certificate must carry. For a plaintext server drop --server-name");
        }
    }
}
