package io.moemesh.client.internal;

import io.grpc.Status;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshException;
import io.moemesh.client.TextChunk;
import io.moemesh.client.TokenLogprob;
import io.moemesh.proto.v1.Completion;
import io.moemesh.proto.v1.GenerateResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * Puts one generation's response stream together: chunks in arrival order, then the completion.
 * Not thread-safe; gRPC delivers the messages of one call one at a time.
 */
public final class GenerationAssembler {

    private final StringBuilder text = new StringBuilder();
    private final List<Integer> tokenIds = new ArrayList<>();
    private final List<TokenLogprob> logprobs = new ArrayList<>();
    private GenerationResult result;

    /** Takes the next response; returns its chunk, or null for the completion. */
    public TextChunk accept(GenerateResponse response) {
        if (result != null) {
            throw protocolError("the server sent " + response.getEventCase() + " after the completion");
        }
        return switch (response.getEventCase()) {
            case CHUNK -> {
                TextChunk chunk = ProtoMapper.chunk(response.getChunk());
                checkAligned(chunk);
                text.append(chunk.text());
                tokenIds.addAll(chunk.tokenIds());
                logprobs.addAll(chunk.logprobs());
                yield chunk;
            }
            case COMPLETION -> {
                result = complete(response.getCompletion());
                yield null;
            }
            case EVENT_NOT_SET -> throw protocolError("the server sent a response with neither chunk nor completion");
        };
    }

    /** The assembled result; fails when the stream ended before its completion. */
    public GenerationResult result() {
        if (result == null) {
            throw protocolError("the response stream ended without a completion");
        }
        return result;
    }

    private GenerationResult complete(Completion completion) {
        return new GenerationResult(text.toString(), tokenIds, ProtoMapper.finishReason(completion),
                ProtoMapper.usage(completion.getUsage()), completion.getDegraded(),
                ProtoMapper.skippedExperts(completion), completion.getRequestId(),
                ProtoMapper.prunedExperts(completion), logprobs);
    }

    /**
     * {@code logprobs[i]} belongs to {@code token_ids[i]} (the protocol's rule; only the final EOS has
     * none, so a chunk may have fewer): a caller who reads them by position must not get another token's.
     */
    private static void checkAligned(TextChunk chunk) {
        List<TokenLogprob> chunkLogprobs = chunk.logprobs();
        if (chunkLogprobs.size() > chunk.tokenIds().size()) {
            throw protocolError("the server sent " + chunkLogprobs.size() + " logprobs for a chunk of "
                    + chunk.tokenIds().size() + " tokens");
        }
        for (int i = 0; i < chunkLogprobs.size(); i++) {
            if (chunkLogprobs.get(i).tokenId() != chunk.tokenIds().get(i)) {
                throw protocolError("the server sent logprobs[" + i + "] for token " + chunkLogprobs.get(i).tokenId()
                        + " but token_ids[" + i + "] is " + chunk.tokenIds().get(i));
            }
        }
    }

    private static MoeMeshException protocolError(String what) {
        return MoeMeshException.of(Status.INTERNAL.withDescription(what));
    }
}
