package io.moemesh.cli;

import static io.moemesh.cli.MoeRun.freePort;
import static io.moemesh.cli.MoeRun.freePortRange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.moemesh.cli.local.ClusterState;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.LayerRoutingStats;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.json.JsonMapper;

/**
 * Headless Chromium (Debian's {@code chromium}, driven by {@code playwright-core}:
 * {@code cli/src/test/dashboard-browser/dashboard-check.mjs}) opens the placement controller's
 * dashboard of a {@code moe up} cluster on the shipped 16-expert model after real traffic went
 * through the gateway, with every request beyond loopback refused. The heatmap must show exactly the
 * router's routing statistics ({@code RoutingStats/GetRoutingStats}, tokens per layer and expert);
 * the screenshot lands in {@code cli/target/dashboard-browser/dashboard.png}. Skipped where Node,
 * Chromium or the check's {@code node_modules} is missing, unless
 * {@code MOEMESH_DASHBOARD_BROWSER_REQUIRED=true} (set by {@code .ci/run}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the heatmap's exact check needs the traffic stopped
class DashboardBrowserIT {

    private static final Path HOME = Path.of(System.getProperty("moemesh.home", ".."));
    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "mesh-mini-16e");
    private static final Path CHECK_DIR = HOME.resolve("cli/src/test/dashboard-browser");
    private static final Path SCREENSHOT = HOME.resolve("cli/target/dashboard-browser/dashboard.png");
    /** Taken while traffic flows: the one docs/observability.md shows. */
    private static final Path LIVE_SCREENSHOT = SCREENSHOT.resolveSibling("dashboard-live.png");
    /** Many refresh periods of the dashboard (2 s each): its rates span polls well inside the traffic. */
    private static final long RATES_SETTLE_MILLIS = 20_000;
    private static final int LIVE_STREAMS = 4;
    private static final String CHROMIUM = System.getenv().getOrDefault("CHROMIUM_PATH", "/usr/bin/chromium");
    private static final int EXPERTS = 16;
    private static final int TOKENS_PER_PROMPT = 16;
    /** 19 JVMs share the machine's cores: the page's first render may wait for a busy controller. */
    private static final long LIVE_TIMEOUT_MILLIS = 180_000;
    private static final long CHECK_TIMEOUT_MINUTES = 5;
    private static final int ATTEMPTS = 3;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** What dashboard-check.mjs prints. */
    record Report(String url, boolean ok, List<String> failures, String state, Long updated, String tokensPerSecond,
            List<EndpointRow> endpoints, List<Cell> cells, List<String> blockedRequests, List<String> consoleErrors, List<String> pageErrors,
            String screenshot) {
    }

    /** One row of the page's {@code #endpoints} table, as shown. */
    record EndpointRow(String endpoint, String callsPerSecond, String p50Millis, String p99Millis) {
    }

    /** One {@code td.heat} cell of the page. */
    record Cell(int layer, int expert, long tokens) {
    }

    /** A heatmap cell's place: (layer, expert). */
    record Unit(int layer, int expert) {
    }

    private Path stateDir;
    private MoeRun up;

    @BeforeAll
    void up() throws IOException {
        requireBrowser();
        stateDir = Files.createTempDirectory("moe-dashboard-it");
        // dry-run: the controller (which serves the dashboard) runs and plans, but moves no unit. The
        // controller needs one process per expert: 16 expert JVMs start at once, slowly on two cores.
        up = MoeRun.up(MODEL, stateDir, freePort(), "--placement", "dry-run", "--expert-port", freePortRange(EXPERTS),
                "--controller-port", freePort(), "--controller-http-port", freePort(), "--timeout", "600s");
        assertThat(up.code()).as(up.err()).isZero();
    }

    @AfterAll
    void down() {
        MoeRun.down(stateDir);
    }

    @Test
    @Order(1)
    void upPrintsTheDashboardOnTheControllersHttpPort() {
        ClusterState state = ClusterState.read(stateDir);

        assertThat(state.dashboardUrl()).endsWith("/dashboard").startsWith("http://127.0.0.1:");
        assertThat(up.out()).contains("dashboard: " + state.dashboardUrl() + " ");
    }

    /**
     * While streams run, the header's tokens/s is positive and the endpoints table lists every expert
     * endpoint the router calls (the router's per-endpoint counters reach the page).
     */
    @Test
    @Order(2)
    void whileTrafficFlowsThePageShowsTokensPerSecondAndEveryEndpoint() throws Exception {
        ClusterState state = ClusterState.read(stateDir);
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService streams = Executors.newFixedThreadPool(LIVE_STREAMS);
        List<Future<Integer>> running = new ArrayList<>();
        try (MoeMeshClient client = RemoteGeneration.connect(state)) {
            for (int s = 0; s < LIVE_STREAMS; s++) {
                running.add(streams.submit(() -> generateUntil(client, stop)));
            }
            Report report = runCheck(state.dashboardUrl(), System.currentTimeMillis() + RATES_SETTLE_MILLIS,
                    LIVE_SCREENSHOT);
            stop.set(true);
            for (Future<Integer> stream : running) {
                assertThat(stream.get(2, TimeUnit.MINUTES)).as("prompts a stream finished").isPositive();
            }
            assertThat(report.ok()).as("dashboard-check.mjs failed: %s", JSON.writeValueAsString(report)).isTrue();
            assertThat(Double.parseDouble(report.tokensPerSecond().replace(",", ""))).as("#tokens-per-second")
                    .isPositive();
            assertThat(report.endpoints()).as("rows of #endpoints").extracting(EndpointRow::endpoint)
                    .hasSize(EXPERTS).doesNotHaveDuplicates();
            List<EndpointRow> called = report.endpoints().stream()
                    .filter(e -> Double.parseDouble(e.callsPerSecond().replace(",", "")) > 0).toList();
            assertThat(called).as("endpoints called in the last poll interval").isNotEmpty()
                    .allSatisfy(e -> assertThat(List.of(e.p50Millis(), e.p99Millis())).as(e.endpoint())
                            .allMatch(ms -> ms.matches("[0-9]+(\\.[0-9]+)?")));
            assertThat(LIVE_SCREENSHOT).isNotEmptyFile();
        } finally {
            stop.set(true);
            streams.shutdownNow();
        }
    }

    /** Prompts one after the other until {@code stop}; returns how many finished. */
    private static int generateUntil(MoeMeshClient client, AtomicBoolean stop) {
        int done = 0;
        for (int i = 0; !stop.get(); i++) {
            String prompt = DemoCommand.PROMPTS.get(i % DemoCommand.PROMPTS.size());
            GenerationResult r = client.generate(GenerateOptions.builder().prompt(prompt)
                    .maxTokens(TOKENS_PER_PROMPT).ignoreEos(true).build());
            assertThat(r.tokenIds()).as(prompt).hasSize(TOKENS_PER_PROMPT);
            done++;
        }
        return done;
    }

    @Test
    @Order(3)
    void theHeatmapInChromiumShowsTheRoutersStatisticsWithNoNetworkBeyondLocalhost() throws Exception {
        ClusterState state = ClusterState.read(stateDir);
        generate(state);
        ManagedChannel router = Grpc.newChannelBuilder(state.routerInternal(), InsecureChannelCredentials.create())
                .build();
        try {
            for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
                long trafficStopped = System.currentTimeMillis();
                Map<Unit, Long> before = tokensPerUnit(read(router));
                Report report = runCheck(state.dashboardUrl(), trafficStopped, SCREENSHOT);
                Map<Unit, Long> after = tokensPerUnit(read(router));
                // No traffic runs now, so the sliding window's counts can only fall as buckets expire:
                // equal readings before and after mean nothing changed while the page read its data.
                if (before.equals(after)) {
                    assertPageShows(report, before);
                    return;
                }
            }
            fail("the router's statistics window changed during each of %d browser checks (buckets expired)",
                    ATTEMPTS);
        } finally {
            router.shutdownNow();
        }
    }

    private static void assertPageShows(Report report, Map<Unit, Long> routed) {
        String json = JSON.writeValueAsString(report);
        assertThat(report.ok()).as("dashboard-check.mjs failed: %s", json).isTrue();
        assertThat(report.state()).isEqualTo("live");
        assertThat(report.blockedRequests()).as("requests beyond localhost").isEmpty();
        assertThat(report.pageErrors()).as("uncaught errors in the page").isEmpty();
        assertThat(report.consoleErrors()).as("console errors").isEmpty();
        assertThat(report.tokensPerSecond()).as("#tokens-per-second").matches("[0-9][0-9,]*(\\.[0-9]+)?");
        Map<Unit, Long> shown = new HashMap<>();
        for (Cell c : report.cells()) {
            assertThat(shown.put(new Unit(c.layer(), c.expert()), c.tokens()))
                    .as("two cells for layer %d, expert %d", c.layer(), c.expert()).isNull();
        }
        assertThat(routed.values().stream().mapToLong(Long::longValue).sum()).as("tokens in the window").isPositive();
        assertThat(shown).as("the heatmap against the router's tokens per (layer, expert)")
                .containsExactlyInAnyOrderEntriesOf(routed);
        assertThat(SCREENSHOT).isNotEmptyFile();
    }

    /** A few prompts through the gateway, as a user's client sends them, each run to its end. */
    private static void generate(ClusterState state) {
        try (MoeMeshClient client = RemoteGeneration.connect(state)) {
            for (String prompt : DemoCommand.PROMPTS) {
                GenerationResult r = client.generate(GenerateOptions.builder().prompt(prompt)
                        .maxTokens(TOKENS_PER_PROMPT).ignoreEos(true).build());
                assertThat(r.tokenIds()).as(prompt).hasSize(TOKENS_PER_PROMPT);
            }
        }
    }

    private static RoutingStatsSnapshot read(ManagedChannel router) {
        return RoutingStatsGrpc.newBlockingStub(router).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getRoutingStats(GetRoutingStatsRequest.getDefaultInstance());
    }

    /** Every (layer, expert) of the snapshot with the tokens that chose it: what each heatmap cell must hold. */
    private static Map<Unit, Long> tokensPerUnit(RoutingStatsSnapshot snapshot) {
        assertThat(snapshot.getLayersCount()).isEqualTo(snapshot.getNumLayers()).isPositive();
        Map<Unit, Long> tokens = new HashMap<>();
        for (LayerRoutingStats layer : snapshot.getLayersList()) {
            assertThat(layer.getTokensPerExpertCount()).isEqualTo(snapshot.getNumExperts());
            for (int e = 0; e < layer.getTokensPerExpertCount(); e++) {
                tokens.put(new Unit(layer.getLayer(), e), layer.getTokensPerExpert(e));
            }
        }
        return tokens;
    }

    /**
     * Runs dashboard-check.mjs on {@code url}, waiting for data no older than {@code minUpdated} (unix
     * millis); the screenshot goes to {@code screenshot}.
     */
    private static Report runCheck(String url, long minUpdated, Path screenshot) throws IOException, InterruptedException {
        Files.createDirectories(screenshot.getParent());
        String name = screenshot.getFileName().toString().replace(".png", "");
        Path stdout = screenshot.resolveSibling(name + "-check.json");
        Path stderr = screenshot.resolveSibling(name + "-check.err");
        ProcessBuilder node = new ProcessBuilder("node", "dashboard-check.mjs").directory(CHECK_DIR.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        node.environment().putAll(Map.of("DASHBOARD_URL", url, "SCREENSHOT_PATH", screenshot.toAbsolutePath().toString(),
                "CHROMIUM_PATH", CHROMIUM, "MIN_UPDATED_MS", String.valueOf(minUpdated),
                "LIVE_TIMEOUT_MS", String.valueOf(LIVE_TIMEOUT_MILLIS)));
        Process run = node.start();
        boolean exited = run.waitFor(CHECK_TIMEOUT_MINUTES, TimeUnit.MINUTES);
        if (!exited) {
            run.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String output = Files.readString(stdout).strip();
        String why = "dashboard-check.mjs:\n" + output + "\nstderr:\n" + Files.readString(stderr);
        assertThat(exited).as("still ran after %d minutes\n%s", CHECK_TIMEOUT_MINUTES, why).isTrue();
        assertThat(output).as("no JSON report\n%s", why).startsWith("{");
        return JSON.readValue(output.substring(output.lastIndexOf("\n{") + 1), Report.class);
    }

    /** Skips without Node, Chromium or the check's modules; fails instead where they are required (CI). */
    private static void requireBrowser() {
        String missing = !NodeChecks.nodeRuns() ? "`node` is not on PATH"
                : !Files.isExecutable(Path.of(CHROMIUM)) ? CHROMIUM + " is missing (CHROMIUM_PATH overrides it)"
                : !Files.isDirectory(CHECK_DIR.resolve("node_modules/playwright-core")) ? CHECK_DIR
                        + "/node_modules is missing"
                : null;
        NodeChecks.requireTools(missing, "install Node.js, npm and Chromium (`apt-get install nodejs npm chromium`), "
                + "then the check's modules (`npm ci --prefix cli/src/test/dashboard-browser`)",
                "MOEMESH_DASHBOARD_BROWSER_REQUIRED");
    }
}
