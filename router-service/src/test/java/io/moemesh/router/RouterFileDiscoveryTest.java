package io.moemesh.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.proto.internal.v1.ExpertEndpointState;
import io.moemesh.proto.internal.v1.ExpertEndpointsGrpc;
import io.moemesh.proto.internal.v1.GetExpertEndpointsRequest;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.router.dispatch.TcpExpertServers;
import io.moemesh.service.GrpcServerLifecycle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The router with {@code discovery=file}, as {@code moe up} runs it: expert endpoints over TCP, listed
 * in a file that the test rewrites (temp + rename) as {@code moe up} and the placement controller do.
 */
class RouterFileDiscoveryTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final String PROMPT = "The quick brown fox";

    @TempDir
    Path dir;

    private ConfigurableApplicationContext context;
    private ManagedChannel channel;
    private ManagedChannel internal;
    private TcpExpertServers experts;

    @AfterEach
    void stop() {
        if (channel != null) {
            channel.shutdownNow();
            internal.shutdownNow();
        }
        if (context != null) {
            context.close();
        }
        if (experts != null) {
            experts.close();
        }
    }

    private Path expertsFile() {
        return dir.resolve("expert-endpoints");
    }

    private void writeExperts(String... targets) throws Exception {
        Path tmp = dir.resolve("expert-endpoints.tmp");
        Files.writeString(tmp, "# written by the test\n" + String.join("\n", targets) + "\n");
        Files.move(tmp, expertsFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void start() {
        context = SpringApplication.run(RouterApplication.class, "--moemesh.router.model-dir=" + MODEL,
                "--moemesh.router.grpc-port=0", "--moemesh.router.internal-grpc-port=0",
                "--spring.main.web-application-type=none", "--moemesh.transport.bind-address=127.0.0.1",
                "--moemesh.auth.allow-unauthenticated=true", "--moemesh.router.discovery=file",
                "--moemesh.router.experts-file=" + expertsFile(), "--moemesh.router.experts-file-poll=50ms",
                "--moemesh.router.discovery-debounce=50ms");
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", context.getBean(GrpcServerLifecycle.class).port(),
                InsecureChannelCredentials.create()).build();
        internal = Grpc.newChannelBuilderForAddress("127.0.0.1",
                context.getBean("internalGrpcServer", GrpcServerLifecycle.class).port(),
                InsecureChannelCredentials.create()).build();
    }

    private List<String> routerTargets() {
        return ExpertEndpointsGrpc.newBlockingStub(internal).withDeadlineAfter(30, TimeUnit.SECONDS)
                .getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance()).getEndpointsList().stream()
                .map(ExpertEndpointState::getTarget).toList();
    }

    private List<Integer> generate(int maxTokens) {
        Iterator<GenerateResponse> stream = MoeMeshGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .generate(GenerateRequest.newBuilder().setPrompt(PROMPT).setSampling(io.moemesh.proto.v1.SamplingParams
                        .newBuilder().setMaxTokens(maxTokens).setIgnoreEos(true)).build());
        List<Integer> ids = new ArrayList<>();
        while (stream.hasNext()) {
            GenerateResponse r = stream.next();
            if (r.hasChunk()) {
                ids.addAll(r.getChunk().getTokenIdsList());
            }
            assertThat(r.hasCompletion() && r.getCompletion().getDegraded()).as("served degraded").isFalse();
        }
        return ids;
    }

    private static List<Integer> reference(int maxTokens) {
        try (InProcessEngine engine = InProcessEngine.open(MODEL, Kernels.best(), 0)) {
            int[] ids = engine.generate(PROMPT, new SamplingParams(0f, 0, 1f, 0, maxTokens, List.of(), true),
                    TokenListener.NONE).tokenIds();
            return Arrays.stream(ids).boxed().toList();
        }
    }

    @Test
    void picksUpAnAddedAndARemovedEndpointFromTheFile() throws Exception {
        // two halves, then a third endpoint that hosts every expert: it can replace either half
        experts = TcpExpertServers.start(MODEL, List.of(List.of(0, 1, 2, 3), List.of(4, 5, 6, 7),
                List.of(0, 1, 2, 3, 4, 5, 6, 7)));
        List<String> t = experts.targets();
        writeExperts(t.get(0), t.get(1));
        start();
        assertThat(routerTargets()).as("the file's endpoints, described before the router serves")
                .containsExactly(t.get(0), t.get(1));
        List<Integer> expected = reference(8);

        writeExperts(t.get(0), t.get(1), t.get(2));
        await().atMost(Duration.ofSeconds(30)).until(() -> routerTargets().size() == 3);
        writeExperts(t.get(2), t.get(1));
        await().atMost(Duration.ofSeconds(30)).until(() -> routerTargets().size() == 2);

        assertThat(routerTargets()).containsExactlyInAnyOrder(t.get(1), t.get(2));
        assertThat(generate(8)).isEqualTo(expected);
    }

    @Test
    void refusesToStartWithoutItsExpertsFileNamingIt() {
        assertThatThrownBy(this::start)
                .hasStackTraceContaining("cannot read the experts file " + expertsFile().toAbsolutePath());
    }
}
