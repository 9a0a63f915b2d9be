package io.moemesh.client;

/**
 * Receives the events of one streaming generation, on a gRPC thread: keep the callbacks short and
 * non-blocking. Exactly one of {@link #onComplete} and {@link #onError} is called, last.
 */
public interface GenerationListener {

    /** Tokens and text generated since the previous chunk, with their log probabilities when asked for. */
    void onChunk(TextChunk chunk);

    /** The generation finished; {@code result} holds all chunks put together and the completion. */
    void onComplete(GenerationResult result);

    /**
     * The call failed, was cancelled, or ran past its deadline. If {@link #onChunk} threw, the call
     * was cancelled and the error arrives here as a {@link MoeMeshException} with code CANCELLED.
     */
    void onError(MoeMeshException error);
}
