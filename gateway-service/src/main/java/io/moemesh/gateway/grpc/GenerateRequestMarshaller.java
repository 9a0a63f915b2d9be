package io.moemesh.gateway.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.moemesh.proto.v1.GenerateRequest;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads Generate requests without throwing. Java protobuf checks proto3 {@code string} fields for
 * valid UTF-8 while parsing; with the generated marshaller that failure happens inside gRPC before any
 * service code runs, gRPC logs it as SEVERE and the caller gets {@code UNKNOWN: Application error
 * processing RPC} (checked in {@code InvalidUtf8Test}). Here such a request becomes a
 * {@link ParsedGenerateRequest} with the reason, which {@link GatewayGrpcService} answers with
 * INVALID_ARGUMENT naming the field.
 */
final class GenerateRequestMarshaller implements MethodDescriptor.Marshaller<ParsedGenerateRequest> {

    @Override
    public InputStream stream(ParsedGenerateRequest value) {
        return value.request().toByteString().newInput();
    }

    @Override
    public ParsedGenerateRequest parse(InputStream stream) {
        byte[] bytes;
        try {
            bytes = stream.readAllBytes();
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("could not read the request: " + e.getMessage()).withCause(e)
                    .asRuntimeException();
        }
        try {
            return ParsedGenerateRequest.of(GenerateRequest.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
            return ParsedGenerateRequest.unparseable(InvalidUtf8Locator.locate(bytes, GenerateRequest.getDescriptor())
                    .map(field -> field + " is not valid UTF-8")
                    .orElse("the request is not a valid moemesh.v1.GenerateRequest: " + e.getMessage()));
        }
    }
}
