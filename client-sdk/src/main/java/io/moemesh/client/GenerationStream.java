package io.moemesh.client;

import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.moemesh.client.internal.GenerationAssembler;
import io.moemesh.proto.v1.GenerateResponse;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A streaming generation read by pulling: iterate the chunks as they arrive, then read
 * {@link #result()}. {@link #hasNext()} blocks until the next chunk, the end, or a failure, which
 * it throws as a {@link MoeMeshException}. Close it to cancel a generation you stop reading early;
 * use it from one thread, in try-with-resources.
 */
public final class GenerationStream implements Iterator<TextChunk>, AutoCloseable {

    private final Context.CancellableContext context;
    private final Iterator<GenerateResponse> responses;
    private final GenerationAssembler assembler = new GenerationAssembler();
    private TextChunk next;

    GenerationStream(Context.CancellableContext context, Iterator<GenerateResponse> responses) {
        this.context = context;
        this.responses = responses;
    }

    @Override
    public boolean hasNext() {
        if (next != null) {
            return true;
        }
        try {
            while (responses.hasNext()) {
                next = assembler.accept(responses.next());
                if (next != null) {
                    return true;
                }
            }
        } catch (StatusRuntimeException e) {
            throw MoeMeshException.of(e);
        }
        assembler.result();
        return false;
    }

    @Override
    public TextChunk next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the generation is complete; read result()");
        }
        TextChunk chunk = next;
        next = null;
        return chunk;
    }

    /** Reads the rest of the stream and returns the whole generation (including chunks already read). */
    public GenerationResult result() {
        while (hasNext()) {
            next();
        }
        return assembler.result();
    }

    /** Cancels the call if it is still running; the server stops generating. */
    @Override
    public void close() {
        context.cancel(null);
    }
}
