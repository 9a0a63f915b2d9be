package io.moemesh.router.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.tracing.Tracer;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.core.tokenizer.TokenizerConfig;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.ListModelsRequest;
import io.moemesh.proto.v1.ListModelsResponse;
import io.moemesh.proto.v1.ModelInfo;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.validation.InvalidRequestException;
import io.moemesh.proto.validation.RequestLimits;
import io.moemesh.router.batching.BatchScheduler;
import io.moemesh.router.batching.InadmissibleRequestException;
import io.moemesh.router.batching.OverloadedException;
import io.moemesh.router.batching.SchedulerStoppedException;
import io.moemesh.router.tracing.RequestSpan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public MoeMesh API as the router serves it: requests are checked as strictly as the gateway
 * checks them and join the continuous batch under their caller ({@link CallerInterceptor}, which
 * must wrap this service for per-caller fairness; without it every call is one caller).
 */
public final class RouterGrpcService extends MoeMeshGrpc.MoeMeshImplBase {

    private static final Logger LOG = LoggerFactory.getLogger(RouterGrpcService.class);

    private final ServedModel model;
    private final GenerateRequests requests;
    private final BatchScheduler scheduler;
    private final int maxStreamBacklog;
    private final ChunkLogprobs logprobs;
    private final Tracer tracer;

    /**
     * @param model            what ListModels reports, and the name requests must use
     * @param maxStreamBacklog responses one stream may hold for a client that does not read, before it is ended
     * @param limits           what one request may ask for (the gateway's limits, {@code moemesh.router.*})
     */
    public RouterGrpcService(ServedModel model, TextTokenizer tokenizer, BatchScheduler scheduler,
            int maxStreamBacklog, RequestLimits limits) {
        this(model, tokenizer, scheduler, maxStreamBacklog, limits, Tracer.NOOP);
    }

    /** @param tracer traces the requests whose call carries a sampled trace (a {@code moemesh.request} span each) */
    public RouterGrpcService(ServedModel model, TextTokenizer tokenizer, BatchScheduler scheduler,
            int maxStreamBacklog, RequestLimits limits, Tracer tracer) {
        this.tracer = tracer;
        this.model = model;
        this.requests = new GenerateRequests(limits, tokenizer, model.config());
        this.scheduler = scheduler;
        this.maxStreamBacklog = maxStreamBacklog;
        this.logprobs = new ChunkLogprobs(tokenizer);
    }

    @Override
    public void generate(GenerateRequest request, StreamObserver<GenerateResponse> response) {
        long start = System.nanoTime();
        try {
            GenerateRequest valid = requests.validated(request);
            if (!valid.getModel().isEmpty() && !valid.getModel().equals(model.name())) {
                throw Status.NOT_FOUND.withDescription("model '" + valid.getModel() + "' is not served here; this "
                        + "router serves '" + model.name() + "'").asRuntimeException();
            }
            int[] ids = requests.promptIds(valid);
            SamplingParams params = GenerateRequests.sampling(valid);
            var call = (ServerCallStreamObserver<GenerateResponse>) response;
            RequestSpan span = RequestSpan.start(tracer, valid.getRequestId(), ids.length);
            try {
                GrpcGenerationSink sink = new GrpcGenerationSink(call, valid.getRequestId(), start, maxStreamBacklog,
                        scheduler.stats(), logprobs);
                scheduler.submit(CallerInterceptor.caller(), ids, params, valid.getRefusePrunedExperts(),
                        TracedGenerationSink.of(sink, span));
            } catch (RuntimeException e) {
                span.failed(e); // refused: it never joined the batch
                throw e;
            }
        } catch (StatusRuntimeException e) {
            response.onError(e);
        } catch (OverloadedException e) {
            response.onError(Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()).asRuntimeException());
        } catch (SchedulerStoppedException e) {
            response.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
        } catch (InvalidRequestException | InadmissibleRequestException e) {
            // written for the client; any other exception's text is internal detail (the gateway relays this code)
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (RuntimeException e) {
            String requestId = request.getRequestId().isEmpty() ? "(none)" : request.getRequestId();
            LOG.error("Generate of request {} failed before the request joined the batch", requestId, e);
            response.onError(Status.INTERNAL.withDescription("the router failed to admit request " + requestId
                    + "; its log has the detail").asRuntimeException());
        }
    }

    @Override
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> response) {
        ModelConfig config = model.config();
        TokenizerConfig tokenizer = model.tokenizer();
        response.onNext(ListModelsResponse.newBuilder().addModels(ModelInfo.newBuilder()
                .setName(model.name())
                .setNumLayers(config.numLayers())
                .setNumMoeLayers(config.numMoeLayers())
                .setArchitecture(config.family().architecture())
                .setNumExperts(config.numExperts())
                .setExpertsPerToken(model.topK())
                .setHiddenSize(config.hiddenSize())
                .setVocabSize(config.vocabSize())
                .setMaxContext(config.maxPositionEmbeddings())
                .setChatTemplate(tokenizer.chatTemplate())
                .setBosToken(tokenizer.bosToken())
                .setEosToken(tokenizer.eosToken())).build());
        response.onCompleted();
    }
}
