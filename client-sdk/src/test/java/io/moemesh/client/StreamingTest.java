package io.moemesh.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.moemesh.proto.v1.Completion;
import io.moemesh.proto.v1.FinishReason;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StreamingTest {

    private final InProcessMoeMesh mesh = new InProcessMoeMesh();
    private final MoeMeshClient client = mesh.client();

    @AfterEach
    void stop() {
        client.close();
        mesh.close();
    }

    @Test
    void listenerReceivesEveryChunkInOrderThenTheResult() throws Exception {
        mesh.fake.script = FakeMoeMesh.streaming(FakeMoeMesh.chunk("a", 1), FakeMoeMesh.chunk("b", 2),
                FakeMoeMesh.completion(Completion.newBuilder().setFinishReason(FinishReason.FINISH_REASON_EOS).build()));
        RecordingListener listener = new RecordingListener();

        client.stream(GenerateOptions.ofPrompt("x"), listener);

        GenerationResult result = listener.result.get(5, TimeUnit.SECONDS);
        assertThat(listener.chunks).containsExactly(new TextChunk(List.of(1), "a"), new TextChunk(List.of(2), "b"));
        assertThat(result.text()).isEqualTo("ab");
        assertThat(result.finishReason()).isEqualTo(io.moemesh.client.FinishReason.EOS);
    }

    @Test
    void listenerReceivesAFailureAsTypedException() throws Exception {
        mesh.fake.script = FakeMoeMesh.failingWith(Status.RESOURCE_EXHAUSTED.withDescription("router queue full"));
        RecordingListener listener = new RecordingListener();

        client.stream(GenerateOptions.ofPrompt("x"), listener);

        assertThat(listener.error.get(5, TimeUnit.SECONDS))
                .isInstanceOf(RateLimitedException.class).hasMessage("RESOURCE_EXHAUSTED: router queue full");
    }

    @Test
    void listenerReceivesAnErrorWhenTheStreamEndsWithoutCompletion() throws Exception {
        mesh.fake.script = FakeMoeMesh.streaming(FakeMoeMesh.chunk("a", 1));
        RecordingListener listener = new RecordingListener();

        client.stream(GenerateOptions.ofPrompt("x"), listener);

        assertThat(listener.error.get(5, TimeUnit.SECONDS)).hasMessageContaining("without a completion");
        assertThat(listener.result).isNotDone();
    }

    @Test
    void cancellingAStreamingCallCancelsItOnTheServer() throws Exception {
        mesh.fake.script = (request, responses) -> responses.onNext(FakeMoeMesh.chunk("a", 1));
        RecordingListener listener = new RecordingListener();

        client.stream(GenerateOptions.ofPrompt("x"), listener).cancel();

        assertThat(mesh.fake.cancelled.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(listener.error.get(5, TimeUnit.SECONDS).code()).isEqualTo(Status.Code.CANCELLED);
    }

    @Test
    void iteratorYieldsChunksInOrderThenTheResult() {
        mesh.fake.script = FakeMoeMesh.streaming(FakeMoeMesh.chunk("a", 1), FakeMoeMesh.chunk("b", 2),
                FakeMoeMesh.completion(Completion.newBuilder().setRequestId("r").build()));
        List<String> texts = new ArrayList<>();

        try (GenerationStream stream = client.stream(GenerateOptions.ofPrompt("x"))) {
            stream.forEachRemaining(chunk -> texts.add(chunk.text()));
            assertThat(texts).containsExactly("a", "b");
            assertThat(stream.result().text()).isEqualTo("ab");
            assertThat(stream.result().requestId()).isEqualTo("r");
        }
    }

    @Test
    void iteratorThrowsTheTypedExceptionOfAFailureAfterChunks() {
        mesh.fake.script = (request, responses) -> {
            responses.onNext(FakeMoeMesh.chunk("a", 1));
            responses.onError(Status.UNAVAILABLE.withDescription("router lost").asRuntimeException());
        };

        try (GenerationStream stream = client.stream(GenerateOptions.ofPrompt("x"))) {
            assertThat(stream.next().text()).isEqualTo("a");
            assertThatThrownBy(stream::hasNext).isInstanceOf(UnavailableException.class).hasMessageContaining("router lost");
        }
    }

    @Test
    void closingAnIteratorEarlyCancelsTheCallOnTheServer() throws Exception {
        mesh.fake.script = (request, responses) -> responses.onNext(FakeMoeMesh.chunk("a", 1));

        try (GenerationStream stream = client.stream(GenerateOptions.ofPrompt("x"))) {
            assertThat(stream.next().text()).isEqualTo("a");
        }

        assertThat(mesh.fake.cancelled.await(5, TimeUnit.SECONDS)).isTrue();
    }
}
