package io.moemesh.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ErrorMappingTest {

    private final InProcessMoeMesh mesh = new InProcessMoeMesh();
    private final MoeMeshClient client = mesh.client();

    @AfterEach
    void stop() {
        client.close();
        mesh.close();
    }

    static Stream<Arguments> statuses() {
        return Stream.of(
                Arguments.of(Status.Code.INVALID_ARGUMENT, InvalidRequestException.class),
                Arguments.of(Status.Code.UNAUTHENTICATED, UnauthenticatedException.class),
                Arguments.of(Status.Code.RESOURCE_EXHAUSTED, RateLimitedException.class),
                Arguments.of(Status.Code.UNAVAILABLE, UnavailableException.class),
                Arguments.of(Status.Code.DEADLINE_EXCEEDED, DeadlineExceededException.class),
                Arguments.of(Status.Code.INTERNAL, MoeMeshException.class),
                Arguments.of(Status.Code.PERMISSION_DENIED, MoeMeshException.class));
    }

    @ParameterizedTest
    @MethodSource("statuses")
    void statusCodeMapsToItsExceptionCarryingTheServerDescription(Status.Code code, Class<?> expected) {
        mesh.fake.script = FakeMoeMesh.failingWith(Status.fromCode(code).withDescription("what went wrong"));

        MoeMeshException error = catchThrowableOfType(MoeMeshException.class,
                () -> client.generate(GenerateOptions.ofPrompt("x")));

        assertThat(error).isExactlyInstanceOf(expected).hasMessage(code + ": what went wrong");
        assertThat(error.code()).isEqualTo(code);
        assertThat(error.description()).isEqualTo("what went wrong");
    }

    @Test
    void aCallPastItsDeadlineFailsWithDeadlineExceeded() {
        mesh.fake.script = (request, responses) -> { };

        MoeMeshException error = catchThrowableOfType(MoeMeshException.class, () -> client.generate(
                GenerateOptions.builder().prompt("x").deadline(java.time.Duration.ofMillis(50)).build()));

        assertThat(error).isInstanceOf(DeadlineExceededException.class);
    }
}
