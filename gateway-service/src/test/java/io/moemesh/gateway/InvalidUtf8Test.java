package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Field numbers from moemesh.proto: GenerateRequest model = 1, prompt = 2, sampling = 4,
 * request_id = 5; SamplingParams stop = 6.
 */
class InvalidUtf8Test {

    private final FakeRouter router = new FakeRouter("r0");
    private final InProcessGateway gateway = InProcessGateway.withKeys(router);

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void promptWithInvalidUtf8IsInvalidArgumentNamingThePrompt() {
        StatusRuntimeException error = send(RawGenerate.message(out -> RawGenerate.bytesField(out, 2,
                RawGenerate.INVALID_UTF8)));

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(error.getStatus().getDescription()).isEqualTo("prompt is not valid UTF-8");
    }

    @Test
    void stopStringWithInvalidUtf8IsInvalidArgumentNamingItsIndex() {
        byte[] sampling = RawGenerate.message(out -> {
            RawGenerate.bytesField(out, 6, ByteString.copyFromUtf8("end"));
            RawGenerate.bytesField(out, 6, RawGenerate.INVALID_UTF8);
        });
        StatusRuntimeException error = send(RawGenerate.message(out -> {
            RawGenerate.bytesField(out, 2, ByteString.copyFromUtf8("hi"));
            RawGenerate.bytesField(out, 4, ByteString.copyFrom(sampling));
        }));

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(error.getStatus().getDescription()).isEqualTo("sampling.stop[1] is not valid UTF-8");
    }

    @Test
    void requestIdWithInvalidUtf8IsInvalidArgumentNamingIt() {
        StatusRuntimeException error = send(RawGenerate.message(out -> {
            RawGenerate.bytesField(out, 2, ByteString.copyFromUtf8("hi"));
            RawGenerate.bytesField(out, 5, RawGenerate.INVALID_UTF8);
        }));

        assertThat(error.getStatus().getDescription()).isEqualTo("request_id is not valid UTF-8");
    }

    @Test
    void bytesThatAreNoProtobufMessageAreInvalidArgument() {
        StatusRuntimeException error = send(new byte[] {0x12, 0x7f, 'x'});

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(error.getStatus().getDescription()).startsWith("the request is not a valid moemesh.v1.GenerateRequest");
    }

    @Test
    void unparseableRequestNeverReachesARouter() {
        send(RawGenerate.message(out -> RawGenerate.bytesField(out, 2, RawGenerate.INVALID_UTF8)));

        assertThat(router.requests).isEmpty();
    }

    /**
     * Why the gateway binds Generate with its own marshaller: with the generated one, protobuf's UTF-8
     * check fails inside gRPC, which logs it as SEVERE and answers UNKNOWN.
     */
    @Test
    void generatedBindingAnswersInvalidUtf8WithUnknown() throws Exception {
        Logger grpcLog = Logger.getLogger("io.grpc.internal.SerializingExecutor");
        Level level = grpcLog.getLevel();
        grpcLog.setLevel(Level.OFF);
        String name = InProcessServerBuilder.generateName();
        Server plain = InProcessServerBuilder.forName(name).addService(new FakeRouter("plain")).build().start();
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        try {
            StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, () -> RawGenerate.call(
                    channel, RawGenerate.message(out -> RawGenerate.bytesField(out, 2, RawGenerate.INVALID_UTF8))));

            assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN);
            assertThat(error.getStatus().getDescription()).isEqualTo("Application error processing RPC");
        } finally {
            channel.shutdownNow();
            plain.shutdownNow();
            grpcLog.setLevel(level);
        }
    }

    private StatusRuntimeException send(byte[] request) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + InProcessGateway.KEY);
        return catchThrowableOfType(StatusRuntimeException.class, () -> RawGenerate.call(
                ClientInterceptors.intercept(gateway.channel(),
                        MetadataUtils.newAttachHeadersInterceptor(headers)), request));
    }
}
