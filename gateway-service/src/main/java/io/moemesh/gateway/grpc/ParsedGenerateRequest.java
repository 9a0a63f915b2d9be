package io.moemesh.gateway.grpc;

import io.moemesh.proto.v1.GenerateRequest;

/** A Generate request as read off the wire: the message, or why it could not be parsed. */
record ParsedGenerateRequest(GenerateRequest request, String parseError) {

    static ParsedGenerateRequest of(GenerateRequest request) {
        return new ParsedGenerateRequest(request, null);
    }

    static ParsedGenerateRequest unparseable(String why) {
        return new ParsedGenerateRequest(null, why);
    }
}
