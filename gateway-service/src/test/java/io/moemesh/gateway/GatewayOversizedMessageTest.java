package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.gateway.grpc.OversizedMessageLog;
import io.moemesh.gateway.metrics.GatewayMetrics;
import io.moemesh.gateway.routing.RouterClient;
import io.moemesh.gateway.routing.RouterPool;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.service.tracing.GrpcTracing;
import io.moemesh.service.transport.AuthProperties;
import io.moemesh.service.transport.GrpcServerFactory;
import io.moemesh.service.transport.TlsMaterial;
import io.moemesh.service.transport.TlsProperties;
import io.moemesh.service.transport.TransportProperties;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Request messages over the gateway's 1 MiB limit, sent over a real socket to the public port as the
 * service wires it: each is refused RESOURCE_EXHAUSTED, and none reaches the log as grpc-java's
 * WARNING with a stack trace ({@link OversizedMessageLog}; its budget is tested on a test clock in
 * {@code OversizedMessageLogTest}, since the installed one counts for the whole JVM).
 */
class GatewayOversizedMessageTest {

    private final Logger grpcLog = Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerStream");
    private final List<LogRecord> grpcRecords = new CopyOnWriteArrayList<>();
    private final Handler recording = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (grpcLog.getFilter() == null || grpcLog.getFilter().isLoggable(record)) {
                grpcRecords.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final ch.qos.logback.classic.Logger log =
            (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(OversizedMessageLog.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    /** No router serves it: an oversized message never gets that far. */
    private final RouterPool pool = new RouterPool(List.of(new RouterClient("nowhere",
            InProcessChannelBuilder.forName(InProcessServerBuilder.generateName()).build())));
    private final GrpcServerLifecycle gateway;
    private final ManagedChannel channel;

    GatewayOversizedMessageTest() {
        grpcLog.addHandler(recording);
        logged.start();
        log.addAppender(logged);
        TlsMaterial plaintext = new TlsMaterial(TlsProperties.none());
        GrpcServerFactory servers = new GrpcServerFactory(TransportProperties.defaults("127.0.0.1"), plaintext,
                AuthProperties.of(null, true), Optional.empty(), GrpcTracing.off());
        GatewayProperties properties = new TestProperties().build();
        gateway = GatewayAssembly.server(servers.publicServer(0, GatewayConfiguration.MAX_INBOUND_BYTES,
                Duration.ofSeconds(1)), properties, GatewayAssembly.publicApi(properties, pool,
                new GatewayMetrics(new SimpleMeterRegistry()), System::nanoTime), null);
        gateway.start();
        channel = Grpc.newChannelBuilder("127.0.0.1:" + gateway.port(), InsecureChannelCredentials.create()).build();
    }

    private MoeMeshGrpc.MoeMeshBlockingStub stub() {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + InProcessGateway.KEY);
        return MoeMeshGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        gateway.stop();
        pool.close();
        grpcLog.removeHandler(recording);
        log.detachAppender(logged);
    }

    @Test
    void oversizedMessagesAreRefusedWithoutAStackTraceInTheLog() {
        GenerateRequest twoMebibytes = GenerateRequest.newBuilder().setPrompt("x".repeat(2 << 20)).build();

        for (int i = 0; i < 3; i++) {
            StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class,
                    () -> stub().generate(twoMebibytes).hasNext());
            assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        }

        assertThat(grpcRecords).as("grpc-java's own records of the refusals").isEmpty();
        assertThat(logged.list).hasSizeLessThanOrEqualTo(1)
                .allSatisfy(line -> assertThat(line.getThrowableProxy()).isNull());
    }
}
