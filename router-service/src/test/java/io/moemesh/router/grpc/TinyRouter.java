package io.moemesh.router.grpc;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.DenseWeights;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.core.tokenizer.TokenizerConfig;
import io.moemesh.proto.validation.RequestLimits;
import io.moemesh.router.batching.BatchScheduler;
import io.moemesh.router.batching.SchedulerProperties;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The router's public service over the tiny-random model, in process, wrapped in the
 * {@link CallerInterceptor} as the router serves it. The scheduler runs only once started, so
 * that tests can hold requests in its queue.
 */
final class TinyRouter implements AutoCloseable {

    static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");

    final ModelConfig config;
    final TextTokenizer tokenizer;
    final BatchScheduler scheduler;
    final ManagedChannel channel;
    private final Checkpoint checkpoint;
    private final Server server;

    TinyRouter(RequestLimits limits, SchedulerProperties scheduling) throws IOException {
        this(limits, scheduling, UnaryOperator.identity());
    }

    /** @param tokenizerWrapper wraps the model's tokenizer, e.g. to make it fail */
    TinyRouter(RequestLimits limits, SchedulerProperties scheduling, UnaryOperator<TextTokenizer> tokenizerWrapper)
            throws IOException {
        config = ModelConfig.load(MODEL);
        checkpoint = Checkpoint.open(MODEL);
        tokenizer = tokenizerWrapper.apply(TextTokenizer.load(MODEL));
        DenseTransformer dense = new DenseTransformer(config, DenseWeights.load(checkpoint, config), Kernels.best(), 0);
        scheduler = new BatchScheduler(dense, LocalExperts.load(checkpoint, config, Kernels.best()), tokenizer,
                scheduling, RoutingObserver.NONE);
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).addService(ServerInterceptors.intercept(
                // a backlog of a whole context: a test thread slowed by a busy machine must not have its
                // stream ended for not reading (the backlog has its own tests, RouterStreamsTest)
                new RouterGrpcService(new ServedModel("tiny-random", config, 2, TokenizerConfig.load(MODEL)), tokenizer,
                        scheduler, config.maxPositionEmbeddings(), limits),
                CallerInterceptor.trustingEveryCaller())).build().start();
        channel = InProcessChannelBuilder.forName(name).build();
    }

    TinyRouter start() {
        scheduler.start();
        return this;
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        scheduler.close();
        tokenizer.close();
        checkpoint.close();
    }
}
