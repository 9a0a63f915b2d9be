package io.moemesh.expert.grpc;

import io.moemesh.core.tensor.BFloat16;
import io.moemesh.expert.TinyModel;
import io.moemesh.proto.codec.WireTensors;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import java.util.Random;

/** Builds Compute requests for the tiny model and reads their answers. */
public final class ComputeRequests {

    private ComputeRequests() {
    }

    public static float[] gaussianRows(int tokens, long seed) {
        Random random = new Random(seed);
        float[] x = new float[tokens * TinyModel.HIDDEN];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    /** What the service sees after BF16 transport: each value rounded to the nearest bfloat16. */
    public static float[] roundedToBf16(float[] x) {
        float[] rounded = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            rounded[i] = BFloat16.toFloat(BFloat16.fromFloat(x[i]));
        }
        return rounded;
    }

    public static ComputeRequest request(int layer, float[] x, DType dtype, TestRoute... routes) {
        ComputeRequest.Builder request = ComputeRequest.newBuilder()
                .setRequestId("test-" + layer + "-" + routes.length)
                .setLayer(layer)
                .setHidden(WireTensors.encode(x, routes.length, TinyModel.HIDDEN, dtype));
        for (TestRoute route : routes) {
            request.addRoutes(route.toProto());
        }
        return request.build();
    }

    public static float[] output(ComputeResponse response, int tokens) {
        return WireTensors.decode(response.getOutput(), "output", tokens, TinyModel.HIDDEN);
    }
}
