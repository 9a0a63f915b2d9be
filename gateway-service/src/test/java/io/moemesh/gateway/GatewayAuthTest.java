package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.ListModelsRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewayAuthTest {

    private final FakeRouter router = new FakeRouter("r0");
    private InProcessGateway gateway = InProcessGateway.withKeys(router);

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void callWithoutApiKeyIsUnauthenticatedWithTheHeaderToSend() {
        StatusRuntimeException error = generateFails(gateway.stub(null));

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(error.getStatus().getDescription())
                .isEqualTo("missing or invalid API key: send 'authorization: Bearer <key>'");
    }

    @Test
    void callWithAWrongApiKeyIsUnauthenticated() {
        StatusRuntimeException error = generateFails(gateway.stub("not-a-key"));

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    }

    @Test
    void unauthenticatedCallsNeverReachARouter() {
        generateFails(gateway.stub("not-a-key"));

        assertThat(router.requests).isEmpty();
    }

    @Test
    void callWithAConfiguredApiKeyIsForwarded() {
        List<GenerateResponse> responses = generate(gateway.stub(InProcessGateway.OTHER_KEY));

        assertThat(responses).hasSize(4);
        assertThat(router.requests).hasSize(1);
    }

    @Test
    void listModelsAlsoNeedsAnApiKey() {
        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class,
                () -> gateway.stub(null).listModels(ListModelsRequest.getDefaultInstance()));

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    }

    @Test
    void everyCallerIsServedWhenAllowUnauthenticatedAndNoKeys() {
        gateway.close();
        gateway = new InProcessGateway(new TestProperties().apiKeys().allowUnauthenticated().build(), router);

        assertThat(generate(gateway.stub(null))).hasSize(4);
    }

    @Test
    void keysStillApplyWhenAllowUnauthenticatedIsSetBesideThem() {
        gateway.close();
        gateway = new InProcessGateway(new TestProperties().allowUnauthenticated().build(), router);

        assertThat(generateFails(gateway.stub(null)).getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    }

    @Test
    void gatewayWithoutKeysDoesNotStart() {
        assertThatThrownBy(() -> new TestProperties().apiKeys().build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no API keys configured")
                .hasMessageContaining("moemesh.gateway.api-keys-file")
                .hasMessageContaining("moemesh.gateway.allow-unauthenticated=true");
    }

    @Test
    void gatewayWithAnEmptyKeyFileDoesNotStart(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("api-keys"), "# no keys yet\n\n");

        assertThatThrownBy(() -> new InProcessGateway(new TestProperties().apiKeys().apiKeysFile(file, null).build(),
                router)).isInstanceOf(IllegalStateException.class).hasMessageContaining("has no keys")
                .hasMessageContaining("moemesh.gateway.allow-unauthenticated=true");
    }

    @Test
    void gatewayWithAShortKeyDoesNotStartAndDoesNotShowTheKey() {
        assertThatThrownBy(() -> new TestProperties().apiKeys("short-key-1234").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("14 characters; keys must be at least 32")
                .hasMessageNotContaining("short-key-1234");
    }

    private static List<GenerateResponse> generate(MoeMeshGrpc.MoeMeshBlockingStub stub) {
        List<GenerateResponse> responses = new ArrayList<>();
        stub.generate(GenerateRequest.newBuilder().setPrompt("hi").build()).forEachRemaining(responses::add);
        return responses;
    }

    private static StatusRuntimeException generateFails(MoeMeshGrpc.MoeMeshBlockingStub stub) {
        return catchThrowableOfType(StatusRuntimeException.class, () -> generate(stub));
    }
}
