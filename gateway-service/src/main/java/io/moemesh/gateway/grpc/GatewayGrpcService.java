package io.moemesh.gateway.grpc;

import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.moemesh.gateway.access.Caller;
import io.moemesh.gateway.access.LimitExceededException;
import io.moemesh.gateway.generate.GenerateUseCase;
import io.moemesh.gateway.generate.ListModelsUseCase;
import io.moemesh.gateway.routing.RouterForwarder;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.ListModelsRequest;
import io.moemesh.proto.v1.ListModelsResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.validation.InvalidRequestException;
import io.moemesh.proto.validation.RequestLimits;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public {@code moemesh.v1.MoeMesh} API. Authentication and rate limits run before it (server
 * interceptors); here requests are read, handed to the use cases, and their failures turned into
 * statuses. It binds Generate with {@link GenerateRequestMarshaller}, so even a request protobuf
 * cannot parse is answered with INVALID_ARGUMENT. An unexpected exception reaches the caller only as
 * "internal error; request id <id>"; its text goes to the log under the same id.
 */
public final class GatewayGrpcService implements MoeMeshGrpc.AsyncService, BindableService {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayGrpcService.class);

    private final GenerateUseCase generate;
    private final ListModelsUseCase listModels;

    public GatewayGrpcService(GenerateUseCase generate, ListModelsUseCase listModels) {
        this.generate = generate;
        this.listModels = listModels;
    }

    @Override
    public void generate(GenerateRequest request, StreamObserver<GenerateResponse> responses) {
        try {
            generate.generate(request, Caller.CURRENT.get(), Context.current().getDeadline(),
                    (ServerCallStreamObserver<GenerateResponse>) responses);
        } catch (InvalidRequestException e) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (LimitExceededException e) {
            responses.onError(e.toStatusException());
        } catch (RuntimeException e) {
            String requestId = loggableRequestId(request.getRequestId());
            LOG.error("request {}: Generate failed before it reached a router", requestId, e);
            responses.onError(RouterForwarder.internalError(requestId).asRuntimeException());
        }
    }

    @Override
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
        try {
            listModels.listModels(Caller.CURRENT.get(), Context.current().getDeadline(),
                    (ServerCallStreamObserver<ListModelsResponse>) responses);
        } catch (RuntimeException e) {
            String requestId = UUID.randomUUID().toString();
            LOG.error("request {}: ListModels failed before it reached a router", requestId, e);
            responses.onError(RouterForwarder.internalError(requestId).asRuntimeException());
        }
    }

    /** The caller's request id when it is safe to log and echo (the validator's rule), else a new one. */
    private static String loggableRequestId(String requested) {
        boolean usable = !requested.isEmpty() && requested.length() <= RequestLimits.MAX_ID_LENGTH
                && requested.chars().allMatch(c -> c > 0x20 && c < 0x7f);
        return usable ? requested : UUID.randomUUID().toString();
    }

    @Override
    public ServerServiceDefinition bindService() {
        MethodDescriptor<GenerateRequest, GenerateResponse> generated = MoeMeshGrpc.getGenerateMethod();
        MethodDescriptor<ParsedGenerateRequest, GenerateResponse> lenientGenerate =
                generated.toBuilder(new GenerateRequestMarshaller(), generated.getResponseMarshaller()).build();
        ServiceDescriptor service = ServiceDescriptor.newBuilder(MoeMeshGrpc.SERVICE_NAME)
                .setSchemaDescriptor(MoeMeshGrpc.getServiceDescriptor().getSchemaDescriptor())
                .addMethod(lenientGenerate)
                .addMethod(MoeMeshGrpc.getListModelsMethod())
                .build();
        return ServerServiceDefinition.builder(service)
                .addMethod(lenientGenerate, ServerCalls.asyncServerStreamingCall(this::generateParsed))
                .addMethod(MoeMeshGrpc.getListModelsMethod(), ServerCalls.asyncUnaryCall(this::listModels))
                .build();
    }

    private void generateParsed(ParsedGenerateRequest parsed, StreamObserver<GenerateResponse> responses) {
        if (parsed.parseError() != null) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription(parsed.parseError()).asRuntimeException());
            return;
        }
        generate(parsed.request(), responses);
    }
}
