package io.moemesh.client;

/** A running streaming generation started with {@link MoeMeshClient#stream(GenerateOptions, GenerationListener)}. */
public interface StreamingCall {

    /**
     * Stops the generation: the server cancels it and the listener receives
     * {@link GenerationListener#onError} with code CANCELLED. Does nothing once the call has ended.
     */
    void cancel();
}
