package io.moemesh.cli;

import io.moemesh.cli.local.ApiKeyFile;
import io.moemesh.cli.local.ClusterState;
import io.moemesh.client.ApiKeyCredentials;
import io.moemesh.client.MoeMeshClient;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * How a command reaches a gateway: its address, TLS and the API key. Without {@code --gateway} it is
 * the local cluster of {@code moe up}, whose key comes from the cluster state and may go over
 * plaintext because that gateway listens on 127.0.0.1 only.
 */
final class GatewayOptions {

    static final String API_KEY_ENV = "MOEMESH_API_KEY";

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--gateway", description = "Gateway address HOST:PORT (default: the cluster of `moe up`).")
    String gateway;

    @Mixin
    TlsOptions tls;

    @Option(names = "--api-key-file", paramLabel = "FILE",
            description = "Read the API key from this file (its first line that is not blank or a # comment).")
    Path apiKeyFile;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:" + API_KEY_ENV + "}",
            description = "API key (default: $" + API_KEY_ENV + "). On the command line other users can read it "
                    + "from the process list: prefer $" + API_KEY_ENV + " or --api-key-file.")
    String apiKey;

    @Option(names = "--allow-key-over-plaintext", description = "Send the API key without TLS when the connection "
            + "goes to a loopback address (127.0.0.0/8, ::1, e.g. --gateway localhost:50051 through kubectl "
            + "port-forward); to other hosts it goes over TLS only.")
    boolean allowKeyOverPlaintext;

    /** A client of the chosen gateway; warnings (a key on the command line, a key file others can read) go to {@code err}. */
    MoeMeshClient connect(Path stateDir, PrintWriter err) {
        tls.check();
        MoeMeshClient.Builder client = MoeMeshClient.builder().defaultDeadline(Duration.ofMinutes(5));
        String key = explicitKey(err);
        if (gateway == null) {
            ClusterState cluster = ClusterState.read(stateDir);
            client.target(cluster.gateway()).allowKeyOverPlaintext(); // moe up's gateway listens on 127.0.0.1
            key = key != null ? key : cluster.readApiKey();
        } else {
            client.target(gateway);
            if (allowKeyOverPlaintext) {
                client.allowKeyOverPlaintext();
            }
            key = key != null ? key : blankToNull(apiKey); // from the environment
        }
        if (tls.caCert != null) {
            client.tls(tls.caCert);
        } else if (tls.tls) {
            client.tls(true);
        }
        if (tls.clientCert != null) {
            client.clientCertificate(tls.clientCert, tls.clientKey);
        }
        if (tls.serverName != null) {
            client.serverName(tls.serverName);
        }
        if (key != null) {
            client.apiKey(key);
        }
        return client.build();
    }

    /** The key given on this command line (flag or file), or null. */
    private String explicitKey(PrintWriter err) {
        boolean onCommandLine = spec.commandLine().getParseResult().hasMatchedOption("--api-key");
        if (apiKeyFile != null) {
            if (onCommandLine) {
                throw new ParameterException(spec.commandLine(), "give the API key once: --api-key or --api-key-file");
            }
            if (ApiKeyFile.readableByOthers(apiKeyFile)) {
                err.println("warning: " + apiKeyFile + " is readable by other users; restrict it with chmod 600");
            }
            return ApiKeyCredentials.readKeyFile(apiKeyFile);
        }
        if (onCommandLine) {
            err.println("warning: --api-key puts the key on the command line, where other users of this machine can "
                    + "read it (ps, /proc/<pid>/cmdline) and your shell history keeps it; use $" + API_KEY_ENV
                    + " or --api-key-file FILE instead");
            return blankToNull(apiKey);
        }
        return null;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
