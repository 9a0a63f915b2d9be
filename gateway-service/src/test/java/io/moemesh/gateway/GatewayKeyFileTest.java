package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.proto.v1.GenerateRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys from {@code api-keys-file}, read again on a schedule while the gateway serves. */
class GatewayKeyFileTest {

    @TempDir
    Path dir;

    private final FakeRouter router = new FakeRouter("r0");
    private InProcessGateway gateway;

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void keyAddedToTheFileIsAcceptedAndARemovedOneRefusedWithoutARestart() throws Exception {
        Path file = Files.writeString(dir.resolve("api-keys"), InProcessGateway.KEY + "\n");
        gateway = new InProcessGateway(new TestProperties().apiKeys().apiKeysFile(file, Duration.ofMillis(20))
                .authFailures(1_000, Duration.ofMinutes(1)).build(),
                router);
        assertThat(code(InProcessGateway.OTHER_KEY)).isEqualTo(Status.Code.UNAUTHENTICATED);

        Files.writeString(file, "# rotated\n" + InProcessGateway.OTHER_KEY + "\n");

        await().atMost(Duration.ofSeconds(5)).until(() -> code(InProcessGateway.OTHER_KEY) == Status.Code.OK);
        assertThat(code(InProcessGateway.KEY)).isEqualTo(Status.Code.UNAUTHENTICATED);
    }

    private Status.Code code(String key) {
        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, () -> gateway.stub(key)
                .generate(GenerateRequest.newBuilder().setPrompt("hi").build()).forEachRemaining(response -> { }));
        return error == null ? Status.Code.OK : error.getStatus().getCode();
    }
}
