package io.moemesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.moemesh.cli.GatewayGenerateTest.Run;
import io.moemesh.proto.v1.Chunk;
import io.moemesh.proto.v1.Completion;
import io.moemesh.proto.v1.FinishReason;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.v1.SamplingParams;
import io.moemesh.proto.v1.TokenLogprob;
import io.moemesh.proto.v1.TopLogprob;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code moe generate}'s penalties, {@code --logprobs} and rate-limit refusals, against a fake gateway over TCP. */
class GenerateSamplingTest {

    private static final String MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random")
            .toString();

    /** A quoted token ({@code \"} and {@code \\} inside), its logprob, then two alternatives with theirs. */
    private static final String QUOTED = "(\"(?:[^\"\\\\]|\\\\.)*\")";
    private static final String LOGPROB = "(-?\\d+\\.\\d{4})";
    private static final Pattern ROW = Pattern.compile("\\s*\\d+  " + QUOTED + "\\s+" + LOGPROB + "  " + QUOTED + " "
            + LOGPROB + " " + "\"(?:[^\"\\\\]|\\\\.)*\" -?\\d+\\.\\d{4}");

    private final List<GenerateRequest> received = new CopyOnWriteArrayList<>();
    private volatile Consumer<StreamObserver<GenerateResponse>> answer = GenerateSamplingTest::answerWithLogprobs;
    private Server gateway;

    @BeforeEach
    void startFakeGateway() throws Exception {
        gateway = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(new MoeMeshGrpc.MoeMeshImplBase() {
                    @Override
                    public void generate(GenerateRequest request, StreamObserver<GenerateResponse> response) {
                        received.add(request);
                        answer.accept(response);
                    }
                }).build().start();
    }

    @AfterEach
    void stop() {
        gateway.shutdownNow();
    }

    @Test
    void penaltiesAndLogprobsGoOutAsTheirSamplingFields() {
        Run run = generate("--presence-penalty", "0.5", "--frequency-penalty", "-1.5", "--logprobs", "3");

        assertThat(run.code()).isZero();
        SamplingParams sent = received.getFirst().getSampling();
        assertThat(sent.getPresencePenalty()).isEqualTo(0.5f);
        assertThat(sent.getFrequencyPenalty()).isEqualTo(-1.5f);
        assertThat(sent.getLogprobs()).isTrue();
        assertThat(sent.getTopLogprobs()).isEqualTo(3);
    }

    @Test
    void logprobsWithoutANumberAsksForNoAlternatives() {
        Run run = generate("--logprobs");

        assertThat(run.code()).isZero();
        assertThat(received.getFirst().getSampling().getLogprobs()).isTrue();
        assertThat(received.getFirst().getSampling().getTopLogprobs()).isZero();
    }

    @Test
    void withoutTheFlagsNothingIsAskedForAndNoTableIsPrinted() {
        Run run = generate();

        assertThat(run.code()).isZero();
        SamplingParams sent = received.getFirst().getSampling();
        assertThat(sent.getLogprobs()).isFalse();
        assertThat(sent.getPresencePenalty()).isZero();
        assertThat(sent.getFrequencyPenalty()).isZero();
        assertThat(run.out()).isEqualTo("Hello é\n");
    }

    @Test
    void printsOneLinePerTokenAfterTheTextWithEscapedBytesAndAlternatives() {
        Run run = generate("--logprobs", "2");

        assertThat(run.out()).isEqualTo("""
                Hello é
                    #  token                 logprob  top alternatives
                    0  " "                   -0.5000  " " -0.5000 "\\n" -1.2500
                    1  "\\xC3"                -0.2500  "\\xC3" -0.2500 "\\xC2" -3.0000
                    2  "\\xA9"                -0.0625  "\\xA9" -0.0625 "\\xA8" -4.0000
                """);
    }

    @Test
    void aPenaltyOutsideItsRangeIsRefusedNamingTheFlagAndNothingIsSent() {
        Run run = generate("--presence-penalty", "2.5");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("--presence-penalty must be in [-2, 2] (0 = off), got 2.5");
        assertThat(received).isEmpty();
    }

    @Test
    void moreThanTwentyAlternativesAreRefusedNamingTheFlag() {
        Run run = generate("--logprobs", "21");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("--logprobs N (alternatives per token) must be in [0, 20], got 21");
        assertThat(received).isEmpty();
    }

    @Test
    void aRateLimitRefusalPrintsTheWaitTheGatewayAsksForAndExitsWithTempfail() {
        answer = response -> response.onError(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED_VALUE).setMessage("rate limit of key ab12 exceeded")
                .addDetails(Any.pack(RetryInfo.newBuilder()
                        .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(2).setNanos(500_000_000))
                        .build()))
                .build()));

        Run run = generate();

        assertThat(run.code()).isEqualTo(GenerateCommand.EXIT_RETRY_LATER).isEqualTo(75);
        assertThat(run.err()).contains("moe: RESOURCE_EXHAUSTED: rate limit of key ab12 exceeded; the gateway asks to "
                + "retry after 2.5 s");
    }

    @Test
    void aRateLimitRefusalWithoutRetryInfoSaysNoWait() {
        answer = response -> response.onError(Status.RESOURCE_EXHAUSTED.withDescription("router queue full")
                .asRuntimeException());

        Run run = generate();

        assertThat(run.code()).isEqualTo(75);
        assertThat(run.err()).contains("moe: RESOURCE_EXHAUSTED: router queue full").doesNotContain("retry after");
    }

    @Test
    void inProcessLogprobsListEveryGeneratedTokenWithGreedysChoiceMostLikely() {
        Run run = GatewayGenerateTest.run("generate", "--model", MODEL, "--prompt", "Hello", "--max-tokens", "4",
                "--ignore-eos", "--logprobs", "2");

        assertThat(run.code()).isZero();
        List<String> rows = run.out().lines().dropWhile(line -> !line.contains("top alternatives")).skip(1).toList();
        assertThat(rows).hasSize(4).allSatisfy(row -> {
            Matcher columns = ROW.matcher(row);
            assertThat(columns.matches()).as(row).isTrue();
            // greedy decoding without penalties takes the most likely token: it is the first alternative
            assertThat(columns.group(3)).isEqualTo(columns.group(1));
            assertThat(columns.group(4)).isEqualTo(columns.group(2));
        });
    }

    private Run generate(String... flags) {
        List<String> args = new ArrayList<>(List.of("generate", "--gateway", "127.0.0.1:" + gateway.getPort(),
                "--prompt", "Hello"));
        args.addAll(List.of(flags));
        return GatewayGenerateTest.run(args.toArray(String[]::new));
    }

    /** " é" as three tokens, the second and third the two bytes of "é", each with two alternatives. */
    private static void answerWithLogprobs(StreamObserver<GenerateResponse> response) {
        response.onNext(GenerateResponse.newBuilder().setChunk(Chunk.newBuilder().setText(" é")
                .addTokenIds(32).addTokenIds(195).addTokenIds(169)
                .addLogprobs(logprob(32, -0.5f, " ", top(32, -0.5f, " "), top(10, -1.25f, "\n")))
                .addLogprobs(logprob(195, -0.25f, "\u00C3", top(195, -0.25f, "\u00C3"), top(194, -3f, "\u00C2")))
                .addLogprobs(logprob(169, -0.0625f, "\u00A9", top(169, -0.0625f, "\u00A9"), top(168, -4f, "\u00A8"))))
                .build());
        response.onNext(GenerateResponse.newBuilder().setCompletion(Completion.newBuilder()
                .setFinishReason(FinishReason.FINISH_REASON_LENGTH)).build());
        response.onCompleted();
    }

    /** {@code latin1}: one char a byte, so "\u00C3" is the single byte C3. */
    private static TokenLogprob logprob(int id, float logprob, String latin1, TopLogprob... top) {
        return TokenLogprob.newBuilder().setTokenId(id).setLogprob(logprob).setToken(bytes(latin1))
                .addAllTop(List.of(top)).build();
    }

    private static TopLogprob top(int id, float logprob, String latin1) {
        return TopLogprob.newBuilder().setTokenId(id).setLogprob(logprob).setToken(bytes(latin1)).build();
    }

    private static ByteString bytes(String latin1) {
        return ByteString.copyFrom(latin1, StandardCharsets.ISO_8859_1);
    }
}
