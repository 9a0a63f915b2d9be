package io.moemesh.router.grpc;

import com.google.protobuf.ByteString;
import io.moemesh.core.engine.TokenLogprobs;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.proto.v1.TokenLogprob;
import io.moemesh.proto.v1.TopLogprob;

/**
 * The engine's log probabilities as {@code Chunk.logprobs}, each token with its own bytes from the
 * tokenizer ({@link TextTokenizer#tokenBytes}: exact for the shipped byte-level model, so a token that
 * is half a UTF-8 character keeps its byte).
 */
final class ChunkLogprobs {

    private final TextTokenizer tokenizer;

    ChunkLogprobs(TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    TokenLogprob toProto(TokenLogprobs logprobs) {
        TokenLogprob.Builder proto = TokenLogprob.newBuilder()
                .setTokenId(logprobs.token())
                .setLogprob(logprobs.logprob())
                .setToken(bytes(logprobs.token()));
        for (int k = 0; k < logprobs.topIds().length; k++) {
            int id = logprobs.topIds()[k];
            proto.addTop(TopLogprob.newBuilder().setTokenId(id).setLogprob(logprobs.topLogprobs()[k]).setToken(bytes(id)));
        }
        return proto.build();
    }

    private ByteString bytes(int id) {
        return ByteString.copyFrom(tokenizer.tokenBytes(id));
    }
}
