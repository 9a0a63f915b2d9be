package io.moemesh.gateway.generate;

import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import io.moemesh.gateway.access.Caller;
import io.moemesh.gateway.access.CallerLimiters;
import io.moemesh.gateway.routing.RouterCall;
import io.moemesh.gateway.routing.RouterForwarder;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.validation.GenerateRequestValidator;
import io.moemesh.proto.validation.InvalidRequestException;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generate at the edge: validate and complete the request, reserve its tokens from the caller's
 * budget, then stream it from a router.
 */
public final class GenerateUseCase {

    private static final Logger LOG = LoggerFactory.getLogger(GenerateUseCase.class);

    private final GenerateRequestValidator validator;
    private final CallDeadlines deadlines;
    private final CallerLimiters limiters;
    private final RouterForwarder forwarder;

    public GenerateUseCase(GenerateRequestValidator validator, CallDeadlines deadlines, CallerLimiters limiters,
            RouterForwarder forwarder) {
        this.validator = validator;
        this.deadlines = deadlines;
        this.limiters = limiters;
        this.forwarder = forwarder;
    }

    /**
     * Starts the generation; responses and the final status go to {@code responses}.
     *
     * @throws InvalidRequestException before anything is forwarded, when a field is invalid
     * @throws io.moemesh.gateway.access.LimitExceededException when the caller's token budget refuses it
     */
    public void generate(GenerateRequest request, Caller caller, Deadline callerDeadline,
            ServerCallStreamObserver<GenerateResponse> responses) {
        GenerateRequest forwarded = validator.validated(request);
        int prompt = promptTokens(forwarded);
        int maxTokens = forwarded.getSampling().getMaxTokens();
        limiters.reserveTokens(caller, prompt + maxTokens, (forwarded.hasPromptIds() ? "prompt_ids " + prompt
                : "prompt ~" + prompt + ", estimated as UTF-8 bytes / 4") + " + sampling.max_tokens " + maxTokens);
        LOG.debug("request {} of {} forwarded (model '{}', max_tokens {})", forwarded.getRequestId(), caller.id(),
                forwarded.getModel(), maxTokens);
        forwarder.forward(MoeMeshGrpc.getGenerateMethod(), forwarded,
                new RouterCall(deadlines.forCaller(callerDeadline), caller.id(), forwarded.getRequestId()), responses);
    }

    /**
     * Token ids count as they are; text is not tokenized at the gateway, so it counts as its UTF-8
     * bytes / 4, rounded up (about a token per 4 bytes of English with BPE tokenizers).
     */
    static int promptTokens(GenerateRequest request) {
        if (request.hasPromptIds()) {
            return request.getPromptIds().getIdsCount();
        }
        return (request.getPrompt().getBytes(StandardCharsets.UTF_8).length + 3) / 4;
    }
}
