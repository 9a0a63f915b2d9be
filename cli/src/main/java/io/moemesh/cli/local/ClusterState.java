package io.moemesh.cli.local;

import io.moemesh.client.ApiKeyCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import tools.jackson.databind.json.JsonMapper;

/**
 * What {@code moe up} started, written to {@code <state-dir>/cluster.json} so that {@code moe down},
 * {@code moe generate}, {@code moe plan} and the soak harness (which samples the processes) find it.
 * {@code router} is the router's public API (Generate), {@code routerInternal} its internal services
 * (RoutingStats, ExpertEndpoints).
 * {@code controller} (gRPC) and {@code placementUrl} (JSON over HTTP) are null when no placement
 * controller runs; {@code routerMetricsUrl} (Prometheus text) is null when the router serves no HTTP.
 * The controller's live dashboard sits beside {@code placementUrl} ({@link #dashboardUrl()}).
 * {@code apiKeyFile} holds the gateway's API key (mode 0600; null in the state of an older {@code moe up}).
 * {@code openAiUrl} is the base URL of the gateway's OpenAI-compatible API ({@code http://127.0.0.1:8000/v1}).
 */
public record ClusterState(String model, String gateway, String router, String routerInternal, String controller,
        String placementUrl, String routerMetricsUrl, List<ServiceProcess> processes, String apiKeyFile,
        String openAiUrl) {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final String FILE = "cluster.json";

    public static ClusterState read(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("no local cluster is running (" + file + " not found): start one with `moe up`");
        }
        try {
            return JSON.readValue(Files.readString(file), ClusterState.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The placement controller's live dashboard, {@code GET /dashboard} on the HTTP port that serves
     * {@link #placementUrl()}; null when no controller runs ({@code --placement off}).
     */
    public String dashboardUrl() {
        return placementUrl == null ? null : URI.create(placementUrl).resolve("/dashboard").toString();
    }

    /** The gateway's API key, read from {@link #apiKeyFile()}. */
    public String readApiKey() {
        if (apiKeyFile == null) {
            throw new IllegalStateException("this local cluster was started without an API key (by an older `moe up`): "
                    + "restart it with `moe down` and `moe up`");
        }
        return ApiKeyCredentials.readKeyFile(Path.of(apiKeyFile));
    }

    public void write(Path stateDir) {
        try {
            Files.createDirectories(stateDir);
            Files.writeString(stateDir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + stateDir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    public static void delete(Path stateDir) {
        try {
            Files.deleteIfExists(stateDir.resolve(FILE));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
