package io.moemesh.gateway.generate;

import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import io.moemesh.gateway.routing.RouterForwarder;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.validation.GenerateRequestValidator;
import io.moemesh.proto.validation.InvalidRequestException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Generate at the edge: validate and complete the request, then stream it from a router. */
public final class GenerateUseCase {

    private static final Logger LOG = LoggerFactory.getLogger(GenerateUseCase.class);

    private final GenerateRequestValidator validator;
    private final CallDeadlines deadlines;
    private final RouterForwarder forwarder;

    public GenerateUseCase(GenerateRequestValidator validator, CallDeadlines deadlines, RouterForwarder forwarder) {
        this.validator = validator;
        this.deadlines = deadlines;
        this.forwarder = forwarder;
    }

    /**
     * Starts the generation; responses and the final status go to {@code responses}.
     *
     * @throws InvalidRequestException before anything is forwarded, when a field is invalid
     */
    public void generate(GenerateRequest request, Deadline callerDeadline,
            ServerCallStreamObserver<GenerateResponse> responses) {
        GenerateRequest forwarded = validator.validated(request);
        LOG.debug("request {} forwarded (model '{}', max_tokens {})", forwarded.getRequestId(), forwarded.getModel(),
                forwarded.getSampling().getMaxTokens());
        forwarder.forward(MoeMeshGrpc.getGenerateMethod(), forwarded, deadlines.forCaller(callerDeadline), responses);
    }
}
