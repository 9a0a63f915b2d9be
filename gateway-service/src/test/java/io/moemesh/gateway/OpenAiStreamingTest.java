package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moemesh.proto.v1.FinishReason;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.proto.v1.Chunk;
import io.moemesh.proto.v1.GenerateResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Server-sent events, and what a client that goes away does to its generation. */
class OpenAiStreamingTest {

    private HttpGateway gateway = new HttpGateway();

    @AfterEach
    void close() {
        gateway.close();
    }

    @Test
    void completionStreamsChunksThenTheFinishReasonThenUsageThenDone() {
        gateway.router.script = OpenAiCompletionsTest.hello(FinishReason.FINISH_REASON_LENGTH);
        var response = gateway.stream("/v1/completions", """
                {"prompt": "Say", "stream": true, "stream_options": {"include_usage": true}}""");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("text/event-stream"));
        List<String> events = HttpGateway.events(response);
        assertThat(events.getLast()).isEqualTo("[DONE]");
        List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(HttpGateway.JSON::readTree).toList();
        assertThat(chunks).allSatisfy(c -> assertThat(c.get("object").asString()).isEqualTo("text_completion"));
        assertThat(chunks).extracting(c -> c.get("id").asString()).containsOnly(chunks.getFirst().get("id").asString());
        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> text.append(c.at("/choices/0/text").asString("")));
        assertThat(text.toString()).isEqualTo("Hello");
        JsonNode last = chunks.getLast();
        assertThat(chunks.subList(0, chunks.size() - 1)).allSatisfy(c -> assertThat(c.get("usage").isNull()).isTrue());
        assertThat(last.get("choices")).isEmpty();
        assertThat(last.at("/usage/total_tokens").asInt()).isEqualTo(6);
        JsonNode finish = chunks.get(chunks.size() - 2);
        assertThat(finish.at("/choices/0/finish_reason").asString()).isEqualTo("length");
        assertThat(finish.at("/moemesh/degraded").asBoolean()).isTrue();
    }

    @Test
    void aLongStreamArrivesWhole() {
        gateway.router.script = FakeRouter.echo(300);
        List<String> events = HttpGateway.events(gateway.stream("/v1/completions", """
                {"prompt": "Say", "stream": true}"""));

        assertThat(events).hasSize(300 + 2); // the chunks, the finish reason, [DONE]
        assertThat(events.get(299)).contains("t299");
    }

    @Test
    void chatStreamNamesTheAssistantInItsFirstDelta() {
        gateway.router.script = OpenAiCompletionsTest.hello(FinishReason.FINISH_REASON_EOS);
        var response = gateway.stream("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Hi"}], "stream": true}""");

        List<String> events = HttpGateway.events(response);
        List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(HttpGateway.JSON::readTree).toList();
        assertThat(chunks).allSatisfy(c -> assertThat(c.get("object").asString()).isEqualTo("chat.completion.chunk"));
        assertThat(chunks.getFirst().at("/choices/0/delta/role").asString()).isEqualTo("assistant");
        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> text.append(c.at("/choices/0/delta/content").asString("")));
        assertThat(text.toString()).isEqualTo("Hello");
        assertThat(chunks.getLast().at("/choices/0/finish_reason").asString()).isEqualTo("stop");
        assertThat(chunks.getLast().has("usage")).isFalse(); // not asked for
        assertThat(events.getLast()).isEqualTo("[DONE]");
    }

    @Test
    void streamedChunksCarryTheirTokensLogprobsAndCompletionOffsetsRunOn() {
        gateway.router.script = OpenAiCompletionsTest.withLogprobs();
        List<String> events = HttpGateway.events(gateway.stream("/v1/completions", """
                {"prompt": "Say", "stream": true, "logprobs": 0}"""));

        List<JsonNode> chunks = events.subList(0, 3).stream().map(HttpGateway.JSON::readTree).toList();
        assertThat(chunks).extracting(c -> c.at("/choices/0/logprobs/text_offset/0").asInt()).containsExactly(0, 3, 5);
        assertThat(chunks.get(2).at("/choices/0/text").asString()).isEmpty(); // the half character waits
        assertThat(chunks.get(2).at("/choices/0/logprobs/token_logprobs/0").asDouble()).isEqualTo(-2.0);

        List<String> chat = HttpGateway.events(gateway.stream("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Hi"}], "stream": true, "logprobs": true}"""));
        assertThat(HttpGateway.JSON.readTree(chat.getFirst()).at("/choices/0/logprobs/content/0/token").asString())
                .isEqualTo("Hel");
    }

    @Test
    void aFailureAfterTheFirstTokenEndsTheStreamWithAnErrorEvent() {
        gateway.router.script = (request, responses) -> {
            responses.onNext(FakeRouter.chunk(0));
            responses.onError(io.grpc.Status.UNAVAILABLE.withDescription("expert gone").asRuntimeException());
        };
        List<String> events = HttpGateway.events(gateway.stream("/v1/completions", """
                {"prompt": "Say", "stream": true}"""));

        assertThat(events.get(events.size() - 2)).contains("\"error\"").contains("expert gone");
        assertThat(events.getLast()).isEqualTo("[DONE]");
    }

    @Test
    void aStreamingClientThatDisconnectsCancelsTheGeneration() throws Exception {
        gateway.router.script = (request, responses) -> responses.onNext(FakeRouter.chunk(0)); // then never ends
        try (Socket socket = rawRequest("{\"prompt\": \"a\", \"stream\": true}")) {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line;
            do {
                line = in.readLine();
            } while (line != null && !line.startsWith("data: "));
            assertThat(line).contains("t0");
        }
        assertThat(gateway.router.cancelled.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aClientThatDisconnectsBeforeANonStreamingAnswerCancelsTheGeneration() throws Exception {
        gateway.router.script = FakeRouter.hanging();
        try (Socket socket = rawRequest("{\"prompt\": \"a\"}")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> !gateway.router.requests.isEmpty());
        }
        assertThat(gateway.router.cancelled.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aClientThatStopsReadingIsCutOffAndItsGenerationCancelled() throws Exception {
        gateway.close();
        gateway = new HttpGateway(new TestProperties().build(), Duration.ofMillis(500));
        String chunk = "x".repeat(32 * 1024);
        gateway.router.script = (request, responses) -> new Thread(() -> {
            for (int i = 0; i < 2_000 && !responses.isCancelled(); i++) {
                responses.onNext(GenerateResponse.newBuilder().setChunk(Chunk.newBuilder().addTokenIds(i)
                        .setText(chunk)).build());
            }
        }).start();
        try (Socket socket = rawRequest("{\"prompt\": \"a\", \"stream\": true}")) {
            socket.setReceiveBufferSize(4096);
            // reads nothing: the server's writes back up, and the write timeout ends the connection
            assertThat(gateway.router.cancelled.await(20, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void stoppingLetsARequestInFlightFinishAndRefusesNewConnections() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        gateway.router.script = (request, responses) -> new Thread(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            FakeRouter.echo(2).run(request, responses);
        }).start();
        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(
                () -> gateway.post("/v1/completions", "{\"prompt\": \"a\"}"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !gateway.router.requests.isEmpty());

        CompletableFuture<Void> stopped = CompletableFuture.runAsync(gateway::stopHttp);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThatThrownBy(
                () -> new Socket("127.0.0.1", gateway.port()).close()).isInstanceOf(IOException.class));
        release.countDown();

        assertThat(inFlight.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(HttpGateway.json(inFlight.get()).at("/choices/0/text").asString()).isEqualTo("t0t1");
        stopped.get(10, TimeUnit.SECONDS);
    }

    /** An HTTP/1.1 request on a plain socket, so that the test decides when the connection closes. */
    private Socket rawRequest(String body) throws Exception {
        Socket socket = new Socket("127.0.0.1", gateway.port());
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + InProcessGateway.KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        return socket;
    }

}
