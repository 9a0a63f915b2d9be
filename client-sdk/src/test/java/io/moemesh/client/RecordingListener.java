package io.moemesh.client;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link GenerationListener} that keeps what it was given, for tests to wait on. */
final class RecordingListener implements GenerationListener {

    final List<TextChunk> chunks = new CopyOnWriteArrayList<>();
    final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    final CompletableFuture<MoeMeshException> error = new CompletableFuture<>();

    @Override
    public void onChunk(TextChunk chunk) {
        chunks.add(chunk);
    }

    @Override
    public void onComplete(GenerationResult completed) {
        result.complete(completed);
    }

    @Override
    public void onError(MoeMeshException failure) {
        error.complete(failure);
    }
}
