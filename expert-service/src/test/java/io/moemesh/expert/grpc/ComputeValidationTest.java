package io.moemesh.expert.grpc;

import static io.moemesh.expert.grpc.ComputeRequests.gaussianRows;
import static io.moemesh.expert.grpc.ComputeRequests.output;
import static io.moemesh.expert.grpc.ComputeRequests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.TokenRoute;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Every malformed request gets a precise status and a message naming what is wrong, never UNKNOWN. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ComputeValidationTest {

    private static final TestRoute[] ROUTES = {
            TestRoute.of(3, 0.5f, 5, 0.5f), TestRoute.of(3, 1f), TestRoute.of(5, 1f), TestRoute.of(3, 0.5f, 5, 0.5f)};

    private final InProcessExpert expert = InProcessExpert.start();

    @AfterAll
    void close() {
        expert.close();
    }

    @Test
    void layerOutOfRangeIsNotFoundNamingTheLayerAndHostedUnits() {
        assertRejected(valid().setLayer(2).build(), Status.Code.NOT_FOUND,
                "layer 2 does not exist: the model has 2 MoE layers (0..1); this endpoint hosts [expert 3 layer 0");
    }

    @Test
    void expertNotHostedIsNotFoundNamingTheUnitAndHostedUnits() {
        ComputeRequest request = valid().setLayer(0).setRoutes(1, TestRoute.of(3, 0.5f, 7, 0.5f).toProto()).build();

        assertRejected(request, Status.Code.NOT_FOUND, "expert 7 layer 0 (routes[1].experts[1]) is not hosted by "
                + "this endpoint; it hosts [expert 3 layer 0, expert 5 layer 0, expert 3 layer 1, expert 5 layer 1, "
                + "expert 7 layer 1]");
    }

    @Test
    void expertBeyondTheModelIsNotFound() {
        assertRejected(valid().setRoutes(0, TestRoute.of(3, 0.5f, 99, 0.5f).toProto()).build(), Status.Code.NOT_FOUND,
                "expert 99 layer 1 (routes[0].experts[1]) is not hosted");
    }

    @Test
    void wrongHiddenSizeIsInvalidArgumentNamingTheShape() {
        float[] x = new float[ROUTES.length * 32];
        ComputeRequest request = valid().setHidden(io.moemesh.proto.codec.WireTensors.encode(x, ROUTES.length, 32,
                DType.DTYPE_F32)).build();

        assertRejected(request, Status.Code.INVALID_ARGUMENT,
                "hidden.shape[1] (hidden size) is 32 but the model's hidden size is 64");
    }

    @Test
    void unspecifiedDtypeIsInvalidArgument() {
        ComputeRequest request = valid().setHidden(valid().getHidden().toBuilder().setDtype(DType.DTYPE_UNSPECIFIED))
                .build();

        assertRejected(request, Status.Code.INVALID_ARGUMENT, "hidden.dtype must be DTYPE_BF16 or DTYPE_F32");
    }

    @Test
    void truncatedDataIsInvalidArgumentNamingTheByteLength() {
        ByteString data = valid().getHidden().getData();
        ComputeRequest request = valid().setHidden(valid().getHidden().toBuilder()
                .setData(data.substring(0, data.size() - 2))).build();

        assertRejected(request, Status.Code.INVALID_ARGUMENT, "hidden.data has 1022 bytes");
    }

    @Test
    void nonFiniteActivationIsInvalidArgumentNamingTheRow() {
        ByteBuffer bytes = ByteBuffer.allocate(ROUTES.length * 64 * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putFloat((2 * 64 + 5) * 4, Float.NaN);
        ComputeRequest request = valid().setHidden(valid().getHidden().toBuilder().setDtype(DType.DTYPE_F32)
                .setData(ByteString.copyFrom(bytes.array()))).build();

        assertRejected(request, Status.Code.INVALID_ARGUMENT, "hidden.data element 133 (row 2) is NaN");
    }

    @Test
    void rowCountDifferentFromRouteCountIsInvalidArgument() {
        assertRejected(valid().addRoutes(TestRoute.of(3, 1f).toProto()).build(), Status.Code.INVALID_ARGUMENT,
                "hidden.shape[0] is 4 but there are 5 token routes");
    }

    @Test
    void weightsAndExpertsOfDifferentLengthAreInvalidArgumentNamingTheRoute() {
        ComputeRequest request = valid().setRoutes(3, TokenRoute.newBuilder().addExperts(3).addExperts(5)
                .addWeights(1f)).build();

        assertRejected(request, Status.Code.INVALID_ARGUMENT, "routes[3].weights has 1 entries but routes[3].experts has 2");
    }

    @Test
    void expertsNotStrictlyAscendingAreInvalidArgument() {
        assertRejected(valid().setRoutes(2, TestRoute.of(5, 0.5f, 3, 0.5f).toProto()).build(),
                Status.Code.INVALID_ARGUMENT, "routes[2].experts must be strictly ascending, got 5 then 3");
    }

    @Test
    void repeatedExpertIsInvalidArgument() {
        assertRejected(valid().setRoutes(2, TestRoute.of(3, 0.5f, 3, 0.5f).toProto()).build(),
                Status.Code.INVALID_ARGUMENT, "routes[2].experts must be strictly ascending, got 3 then 3");
    }

    @Test
    void zeroWeightIsInvalidArgument() {
        assertRejected(valid().setRoutes(1, TestRoute.of(3, 0f).toProto()).build(), Status.Code.INVALID_ARGUMENT,
                "routes[1].weights[0] is 0.0; gate weights must be finite and > 0");
    }

    @Test
    void nanWeightIsInvalidArgument() {
        assertRejected(valid().setRoutes(1, TestRoute.of(3, Float.NaN).toProto()).build(),
                Status.Code.INVALID_ARGUMENT, "routes[1].weights[0] is NaN");
    }

    @Test
    void negativeExpertIsInvalidArgument() {
        assertRejected(valid().setRoutes(1, TestRoute.of(-1, 1f).toProto()).build(), Status.Code.INVALID_ARGUMENT,
                "routes[1].experts[0] is -1");
    }

    @Test
    void routeWithoutExpertsIsInvalidArgument() {
        assertRejected(valid().setRoutes(0, TokenRoute.getDefaultInstance()).build(), Status.Code.INVALID_ARGUMENT,
                "routes[0].experts is empty");
    }

    @Test
    void emptyRequestIsInvalidArgument() {
        assertRejected(ComputeRequest.getDefaultInstance(), Status.Code.INVALID_ARGUMENT,
                "request has no tokens: routes is empty");
    }

    @Test
    void missingHiddenIsInvalidArgument() {
        assertRejected(valid().clearHidden().build(), Status.Code.INVALID_ARGUMENT, "hidden is missing");
    }

    @Test
    void serviceKeepsAnsweringCorrectlyAfterBadRequests() {
        for (int layer = -1; layer <= 3; layer += 4) {
            assertRejected(valid().setLayer(layer).build(), Status.Code.NOT_FOUND, "layer " + layer);
        }
        assertRejected(ComputeRequest.getDefaultInstance(), Status.Code.INVALID_ARGUMENT, "routes is empty");
        float[] x = gaussianRows(ROUTES.length, 21);

        float[] out = output(expert.blocking().compute(request(1, x, DType.DTYPE_F32, ROUTES)), ROUTES.length);

        assertThat(out).containsExactly(ReferenceExperts.combine(1, x, ROUTES));
    }

    private static ComputeRequest.Builder valid() {
        return request(1, gaussianRows(ROUTES.length, 20), DType.DTYPE_F32, ROUTES).toBuilder();
    }

    private void assertRejected(ComputeRequest request, Status.Code code, String message) {
        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class,
                () -> expert.blocking().compute(request));

        assertThat(error).as("expected %s", code).isNotNull();
        assertThat(error.getStatus().getCode()).isEqualTo(code);
        assertThat(error.getStatus().getDescription()).contains(message);
    }
}
