package io.moemesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.stub.StreamObserver;
import io.moemesh.cli.local.ApiKeyFile;
import io.moemesh.cli.local.ClusterState;
import io.moemesh.client.ApiKeyCredentials;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code moe generate} without {@code --model}: through a gateway over TCP, with the client SDK. */
class GatewayGenerateTest {

    private final List<GenerateRequest> received = new CopyOnWriteArrayList<>();
    private final List<Metadata> headers = new CopyOnWriteArrayList<>();
    private Server gateway;

    @BeforeEach
    void startFakeGateway() throws Exception {
        gateway = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .intercept(recordingHeaders(headers))
                .addService(fakeGateway(received)).build().start();
    }

    /** A gateway that answers every prompt with " world", two tokens, marked degraded. */
    static MoeMeshGrpc.MoeMeshImplBase fakeGateway(List<GenerateRequest> received) {
        return new MoeMeshGrpc.MoeMeshImplBase() {
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
                };
    }

    static ServerInterceptor recordingHeaders(List<Metadata> headers) {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata metadata,
                    ServerCallHandler<Q, R> next) {
                headers.add(metadata);
                return next.startCall(call, metadata);
            }
        };
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
    void anApiKeyOnTheCommandLineIsSentWithAWarningThatOthersCanReadIt() {
        Run run = run("generate", "--gateway", "127.0.0.1:" + gateway.getPort(), "--allow-key-over-plaintext",
                "--api-key", "cli-key-0123456789", "--prompt", "Hello");

        assertThat(run.code).isZero();
        assertThat(run.err).contains("warning: --api-key puts the key on the command line")
                .contains("MOEMESH_API_KEY").contains("--api-key-file");
        assertThat(headers.getFirst().get(ApiKeyCredentials.AUTHORIZATION)).isEqualTo("Bearer cli-key-0123456789");
    }

    @Test
    void theApiKeyIsReadFromApiKeyFileWithoutAWarning(@TempDir Path dir) throws Exception {
        Path keyFile = Files.writeString(dir.resolve("key"), "# the team's key\n\nfile-key-0123456789\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));

        Run run = run("generate", "--gateway", "127.0.0.1:" + gateway.getPort(), "--allow-key-over-plaintext",
                "--api-key-file", keyFile.toString(), "--prompt", "Hello");

        assertThat(run.code).isZero();
        assertThat(run.err).doesNotContain("warning");
        assertThat(headers.getFirst().get(ApiKeyCredentials.AUTHORIZATION)).isEqualTo("Bearer file-key-0123456789");
    }

    @Test
    void anApiKeyFileOthersCanReadGetsAWarning(@TempDir Path dir) throws Exception {
        Path keyFile = Files.writeString(dir.resolve("key"), "file-key-0123456789\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-r--r--"));

        Run run = run("generate", "--gateway", "127.0.0.1:" + gateway.getPort(), "--allow-key-over-plaintext",
                "--api-key-file", keyFile.toString(), "--prompt", "Hello");

        assertThat(run.code).isZero();
        assertThat(run.err).contains("warning: " + keyFile + " is readable by other users");
    }

    @Test
    void theKeyIsNotSentOverPlaintextWithoutTheOptIn() {
        Run run = run("generate", "--gateway", "127.0.0.1:" + gateway.getPort(), "--api-key", "cli-key-0123456789",
                "--prompt", "Hello");

        assertThat(run.code).isEqualTo(1);
        assertThat(run.err).contains("not sending the API key to 127.0.0.1:" + gateway.getPort())
                .contains("--tls");
        assertThat(headers).isEmpty();
        assertThat(received).isEmpty();
    }

    @Test
    void theLocalClustersKeyComesFromItsStateAndGoesOverLoopbackPlaintext(@TempDir Path stateDir) {
        Path keyFile = ApiKeyFile.create(stateDir);
        new ClusterState("tiny-random", "127.0.0.1:" + gateway.getPort(), "127.0.0.1:1", "127.0.0.1:2", null, null,
                null, List.of(), keyFile.toString(), null).write(stateDir);

        Run run = run("generate", "--state-dir", stateDir.toString(), "--prompt", "Hello");

        assertThat(run.code).isZero();
        assertThat(headers.getFirst().get(ApiKeyCredentials.AUTHORIZATION))
                .isEqualTo("Bearer " + ApiKeyCredentials.readKeyFile(keyFile));
    }

    @Test
    void apiKeyAndApiKeyFileTogetherAreRefused(@TempDir Path dir) throws Exception {
        Path keyFile = Files.writeString(dir.resolve("key"), "file-key-0123456789\n");

        Run run = run("generate", "--gateway", "127.0.0.1:" + gateway.getPort(), "--api-key", "k-0123456789",
                "--api-key-file", keyFile.toString(), "--prompt", "Hello");

        assertThat(run.code).isNotZero();
        assertThat(run.err).contains("--api-key or --api-key-file");
        assertThat(received).isEmpty();
    }

    @Test
    void serverNameWithoutTlsIsRefusedAndNothingIsSent() {
        Run run = run("generate", "--gateway", "127.0.0.1:" + gateway.getPort(), "--server-name", "localhost",
                "--allow-key-over-plaintext", "--api-key", "cli-key-0123456789", "--prompt", "Hello");

        assertThat(run.code).isNotZero();
        assertThat(run.err).contains("--server-name needs TLS (--tls or --ca-cert FILE)");
        assertThat(received).isEmpty();
    }

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = MoeCommand.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
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
