package io.moemesh.gateway.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.moemesh.proto.v1.GenerateRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Generate requests are the only bytes the public edge takes from anyone. Contract: the marshaller
 * never throws, whatever the bytes (invalid UTF-8 included), and returns either a request, which
 * streams back to an equal request, or a reason a person can read; never both, never neither.
 */
class GenerateRequestMarshallerFuzzTest {

    private final GenerateRequestMarshaller marshaller = new GenerateRequestMarshaller();

    @FuzzTest
    void parsesAnyBytesToARequestOrAReason(byte[] bytes) throws IOException {
        ParsedGenerateRequest parsed = marshaller.parse(new ByteArrayInputStream(bytes));

        assertThat(parsed).isNotNull();
        assertThat(parsed.request() == null).as("exactly one of request and parseError").isNotEqualTo(
                parsed.parseError() == null);
        if (parsed.request() != null) {
            byte[] streamed = marshaller.stream(parsed).readAllBytes();
            assertThat(GenerateRequest.parseFrom(streamed)).isEqualTo(parsed.request());
        } else {
            assertThat(parsed.parseError()).isNotBlank();
        }
    }
}
