package io.moemesh.gateway;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.function.Consumer;

/**
 * Sends hand-made bytes as a Generate request: the generated Java stubs cannot produce a string
 * field with invalid UTF-8, but other clients (or a broken one) can.
 */
final class RawGenerate {

    static final ByteString INVALID_UTF8 = ByteString.copyFrom(new byte[] {'o', 'k', (byte) 0xC3, '(', '!'});

    private static final MethodDescriptor<byte[], GenerateResponse> METHOD = MoeMeshGrpc.getGenerateMethod()
            .toBuilder(new BytesMarshaller(), MoeMeshGrpc.getGenerateMethod().getResponseMarshaller()).build();

    private RawGenerate() {
    }

    static void call(Channel channel, byte[] request) {
        ClientCalls.blockingServerStreamingCall(channel, METHOD, io.grpc.CallOptions.DEFAULT, request)
                .forEachRemaining(response -> { });
    }

    /** Encodes a message field by field, with no UTF-8 checks. */
    static byte[] message(Consumer<CodedOutputStream> fields) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        fields.accept(out);
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static void bytesField(CodedOutputStream out, int number, ByteString value) {
        try {
            out.writeBytes(number, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final class BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
