package io.moemesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import io.moemesh.proto.v1.Chunk;
import io.moemesh.proto.v1.Completion;
import io.moemesh.proto.v1.FinishReason;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.v1.SkippedExpert;
import io.moemesh.proto.v1.Usage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code moe generate} without {@code --model}: through a gateway over TCP, with the client SDK. */
class GatewayGenerateTest {

    private final List<GenerateRequest> received = new CopyOnWriteArrayList<>();
    private Server gateway;

    @BeforeEach
    void startFakeGateway() throws Exception {
        gateway = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(new MoeMeshGrpc.MoeMeshImplBase() {
                    @Override
                    public void generate(GenerateRequest request, StreamObserver<GenerateResponse> response) {
                        received.add(request);
                        response.onNext(chunk(" wor"));
                        response.onNext(chunk("ld"));
                        response.onNext(GenerateResponse.newBuilder().setCompletion(Completion.newBuilder()
                                .setFinishReason(FinishReason.FINISH_REASON_LENGTH).setDegraded(true)
                                .addSkippedExperts(SkippedExpert.newBuilder().setLayer(1).setExpert(7).setTokens(2))
                                .setUsage(Usage.newBuilder().setPromptTokens(5).setCompletionTokens(2))).build());
                        response.onCompleted();
                    }
                }).build().start();
    }

    @AfterEach
    void stop() {
        gateway.shutdownNow();
    }

    private static GenerateResponse chunk(String text) {
        return GenerateResponse.newBuilder().setChunk(Chunk.newBuilder().addTokenIds(1).setText(text)).build();
    }

    @Test
    void streamsTheGatewaysAnswerAndReportsDegradedResults() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = MoeCommand.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));

        int code = cmd.execute("generate", "--gateway", "127.0.0.1:" + gateway.getPort(), "--prompt", "Hello",
                "--max-tokens", "2", "--temperature", "0.5", "--seed", "9");

        assertThat(code).isZero();
        assertThat(out.toString()).startsWith("Hello world");
        assertThat(err.toString()).contains("5 prompt tokens, 2 generated, finish: length").contains("DEGRADED");
        assertThat(received).singleElement().satisfies(r -> {
            assertThat(r.getPrompt()).isEqualTo("Hello");
            assertThat(r.getSampling().getMaxTokens()).isEqualTo(2);
            assertThat(r.getSampling().getTemperature()).isEqualTo(0.5f);
            assertThat(r.getSampling().getSeed()).isEqualTo(9);
        });
    }

    @Test
    void saysHowToStartAClusterWhenNoneIsRunning(@org.junit.jupiter.api.io.TempDir java.nio.file.Path empty) {
        StringWriter err = new StringWriter();
        CommandLine cmd = MoeCommand.commandLine();
        cmd.setErr(new PrintWriter(err, true));

        int code = cmd.execute("generate", "--state-dir", empty.toString(), "--prompt", "x");

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("no local cluster is running").contains("moe up");
    }
}
