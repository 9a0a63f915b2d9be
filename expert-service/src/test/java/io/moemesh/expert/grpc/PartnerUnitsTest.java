package io.moemesh.expert.grpc;

import static io.moemesh.expert.grpc.ComputeRequests.gaussianRows;
import static io.moemesh.expert.grpc.ComputeRequests.output;
import static io.moemesh.expert.grpc.ComputeRequests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.expert.batching.BatchingPolicy;
import io.moemesh.expert.batching.ExpertFfnRunner;
import io.moemesh.expert.batching.FfnRunner;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.expert.unit.UnitPlacement;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.DescribeRequest;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.ReleaseRetiredUnitsRequest;
import io.moemesh.proto.internal.v1.SetPartnerUnitsRequest;
import io.moemesh.proto.internal.v1.Unit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Make-before-break re-placement over in-process gRPC: SetPartnerUnits, then ReleaseRetiredUnits.
 * The endpoint is expert service 3 (expert 3 of both layers) started with expert 7 of layer 1 as
 * a partner, as {@code extra-units=7:1} configures it.
 */
class PartnerUnitsTest {

    private static final UnitId SEVEN_OF_LAYER_1 = new UnitId(1, 7);
    private static final TestRoute[] LAYER_0_PAIRS = {
            TestRoute.of(3, 0.6f, 5, 0.4f), TestRoute.of(5, 1f), TestRoute.of(3, 0.2f, 5, 0.8f)};
    private static final TestRoute[] SEVEN_ONLY = {TestRoute.of(7, 0.75f)};

    private InProcessExpert expert;

    @AfterEach
    void close() {
        expert.close();
    }

    @Test
    void describeSeparatesBaseAndPartnerUnitsAndNamesTheServiceOfASingleExpertEndpoint() {
        expert = serviceThree();

        DescribeResponse description = describe();

        assertThat(description.hasService()).isTrue();
        assertThat(description.getService()).isEqualTo(3);
        assertThat(description.getBaseUnitsList()).containsExactly(unit(0, 3), unit(1, 3));
        assertThat(description.getPartnerUnitsList()).containsExactly(unit(1, 7));
        assertThat(description.getRetiringUnitsList()).isEmpty();
        assertThat(description.getUnitsList()).containsExactly(unit(0, 3), unit(1, 3), unit(1, 7));
    }

    @Test
    void endpointWithSeveralBaseExpertsHasNoService() {
        expert = InProcessExpert.start();

        DescribeResponse description = describe();

        assertThat(description.hasService()).isFalse();
        assertThat(description.getBaseUnitsList()).containsExactly(unit(0, 3), unit(0, 5), unit(1, 3), unit(1, 5));
        assertThat(description.getPartnerUnitsList()).containsExactly(unit(1, 7));
    }

    @Test
    void newPartnerIsDescribedAndComputesBitForBitLikeTheInProcessEngine() {
        expert = serviceThree();

        DescribeResponse answer = expert.blocking().setPartnerUnits(partners(unit(1, 7), unit(0, 5)));

        assertThat(answer.getPartnerUnitsList()).containsExactly(unit(0, 5), unit(1, 7));
        assertThat(answer.getUnitsList()).containsExactly(unit(0, 3), unit(0, 5), unit(1, 3), unit(1, 7));
        assertThat(answer.getRetiringUnitsList()).isEmpty();
        assertThat(describe()).isEqualTo(answer);
        float[] x = gaussianRows(LAYER_0_PAIRS.length, 40);
        float[] out = output(expert.blocking().compute(request(0, x, DType.DTYPE_F32, LAYER_0_PAIRS)),
                LAYER_0_PAIRS.length);
        assertThat(out).containsExactly(ReferenceExperts.combine(0, x, LAYER_0_PAIRS));
        assertThat(expert.registry.find("moemesh.expert.queue.tokens").tag("layer", "0").tag("expert", "5").gauge())
                .isNotNull();
    }

    @Test
    void partnerNoLongerListedRetiresOutOfTheDescriptionButIsStillComputed() {
        expert = serviceThree();

        DescribeResponse answer = expert.blocking().setPartnerUnits(partners(unit(0, 5)));

        assertThat(answer.getPartnerUnitsList()).containsExactly(unit(0, 5));
        assertThat(answer.getRetiringUnitsList()).containsExactly(unit(1, 7));
        assertThat(answer.getUnitsList()).containsExactly(unit(0, 3), unit(0, 5), unit(1, 3));
        assertThat(describe()).isEqualTo(answer);
        assertComputesSevenOfLayerOne(41);
    }

    @Test
    void releasedUnitIsNotFoundAndItsMetersAreGone() {
        expert = serviceThree();
        assertComputesSevenOfLayerOne(42);
        expert.blocking().setPartnerUnits(partners());

        DescribeResponse answer = expert.blocking().releaseRetiredUnits(ReleaseRetiredUnitsRequest.getDefaultInstance());

        assertThat(answer.getRetiringUnitsList()).isEmpty();
        assertThat(answer.getPartnerUnitsList()).isEmpty();
        assertThat(answer.getUnitsList()).containsExactly(unit(0, 3), unit(1, 3));
        StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
                () -> expert.blocking().compute(request(1, gaussianRows(1, 43), DType.DTYPE_F32, SEVEN_ONLY)));
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(refused.getStatus().getDescription()).isEqualTo("expert 7 layer 1 (routes[0].experts[0]) is not "
                + "hosted by this endpoint; it hosts [expert 3 layer 0, expert 3 layer 1]");
        assertThat(expert.registry.find("moemesh.expert.tokens").tag("expert", "7").meters()).isEmpty();
        assertThat(expert.registry.find("moemesh.expert.queue.tokens").tag("expert", "7").meters()).isEmpty();
        assertThat(expert.registry.find("moemesh.expert.tokens").tag("expert", "3").meters()).hasSize(2);
    }

    @Test
    void unitReleasedAfterTheHostedCheckButBeforeItsWorkIsQueuedIsNotFound() {
        expert = serviceThree();
        expert.batcher.release(List.of(SEVEN_OF_LAYER_1)); // the moment inside ReleaseRetiredUnits a call can hit
        TestRoute[] routes = {TestRoute.of(3, 0.5f), TestRoute.of(7, 0.5f)};

        StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
                () -> expert.blocking().compute(request(1, gaussianRows(2, 47), DType.DTYPE_F32, routes)));

        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(refused.getStatus().getDescription()).startsWith("expert 7 layer 1 (released just now) is not hosted");
    }

    @Test
    void retiringUnitListedAgainIsAPartnerAgainWithoutAReload() {
        expert = serviceThree();
        ExpertWeights loadedAtStartUp = expert.units.weights().get(SEVEN_OF_LAYER_1);
        expert.blocking().setPartnerUnits(partners());

        DescribeResponse answer = expert.blocking().setPartnerUnits(partners(unit(1, 7)));

        assertThat(answer.getPartnerUnitsList()).containsExactly(unit(1, 7));
        assertThat(answer.getRetiringUnitsList()).isEmpty();
        assertThat(expert.units.weights().get(SEVEN_OF_LAYER_1)).isSameAs(loadedAtStartUp);
        assertThat(expert.blocking().releaseRetiredUnits(ReleaseRetiredUnitsRequest.getDefaultInstance())
                .getPartnerUnitsList()).containsExactly(unit(1, 7));
        assertComputesSevenOfLayerOne(44);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidPartnerLists")
    void invalidPartnerListIsInvalidArgumentAndChangesNothing(String why, List<Unit> units, String message) {
        expert = serviceThree();
        DescribeResponse before = describe();

        StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
                () -> expert.blocking().setPartnerUnits(SetPartnerUnitsRequest.newBuilder().addAllPartnerUnits(units)
                        .build()));

        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(refused.getStatus().getDescription()).isEqualTo(message);
        assertThat(describe()).isEqualTo(before);
        assertThat(expert.batcher.units()).containsExactlyElementsOf(expert.units.weights().keySet());
    }

    static Stream<Arguments> invalidPartnerLists() {
        return Stream.of(
                Arguments.of("layer beyond the model", List.of(unit(0, 5), unit(2, 5)),
                        "partner_units[1] (expert 5 layer 2) does not exist: the model has 2 MoE layers (0..1)"),
                Arguments.of("expert beyond the model", List.of(unit(0, 8)),
                        "partner_units[0] (expert 8 layer 0) does not exist: the model has 8 experts (0..7)"),
                Arguments.of("base unit", List.of(unit(0, 5), unit(1, 3)),
                        "partner_units[1] (expert 3 layer 1) is a base unit of this endpoint, always hosted; "
                                + "list only units beyond its base experts [3] of every layer"),
                Arguments.of("repeated unit", List.of(unit(0, 5), unit(1, 7), unit(0, 5)),
                        "partner_units[2] (expert 5 layer 0) repeats partner_units[0]; list each unit once"),
                Arguments.of("negative layer", List.of(unit(-1, 5)),
                        "partner_units[0] has layer -1 and expert 5; layers and experts are >= 0"));
    }

    @Test
    void concurrentReplacementsAreAppliedOneAtATime() throws Exception {
        expert = serviceThree();
        SetPartnerUnitsRequest request = partners(unit(0, 5), unit(1, 6));
        List<ListenableFuture<DescribeResponse>> calls = new ArrayList<>();

        for (int i = 0; i < 4; i++) {
            calls.add(expert.future().setPartnerUnits(request));
        }

        for (ListenableFuture<DescribeResponse> call : calls) {
            assertThat(call.get().getPartnerUnitsList()).containsExactly(unit(0, 5), unit(1, 6));
        }
        assertThat(describe().getRetiringUnitsList()).containsExactly(unit(1, 7));
    }

    @Test
    void workQueuedForAUnitWhenItIsReleasedStillCompletes() throws Exception {
        GatedFfnRunner runner = new GatedFfnRunner();
        expert = serviceThree(runner, new BatchingPolicy(256, Duration.ZERO, 4096, 1));
        try {
            float[] first = gaussianRows(1, 45);
            float[] second = gaussianRows(1, 46);
            ListenableFuture<ComputeResponse> running = expert.future()
                    .compute(request(1, first, DType.DTYPE_F32, SEVEN_ONLY));
            runner.awaitFirstStarted();
            ListenableFuture<ComputeResponse> queued = expert.future()
                    .compute(request(1, second, DType.DTYPE_F32, SEVEN_ONLY));
            await().until(() -> expert.batcher.queuedTokens(SEVEN_OF_LAYER_1) == 1);

            expert.blocking().setPartnerUnits(partners());
            expert.blocking().releaseRetiredUnits(ReleaseRetiredUnitsRequest.getDefaultInstance());
            runner.release();

            assertThat(output(running.get(), 1)).containsExactly(ReferenceExperts.combine(1, first, SEVEN_ONLY));
            assertThat(output(queued.get(), 1)).containsExactly(ReferenceExperts.combine(1, second, SEVEN_ONLY));
            assertThat(runner.batchSizes()).containsExactly(1, 1);
            assertThat(expert.batcher.units()).doesNotContain(SEVEN_OF_LAYER_1);
        } finally {
            runner.release();
        }
    }

    private static InProcessExpert serviceThree() {
        return serviceThree(new ExpertFfnRunner(Kernels.best()), InProcessExpert.DEFAULT_POLICY);
    }

    private static InProcessExpert serviceThree(FfnRunner runner, BatchingPolicy policy) {
        return InProcessExpert.start(new UnitPlacement(List.of(3), List.of(SEVEN_OF_LAYER_1)), policy, runner,
                Duration.ofSeconds(5));
    }

    private DescribeResponse describe() {
        return expert.blocking().describe(DescribeRequest.getDefaultInstance());
    }

    private void assertComputesSevenOfLayerOne(long seed) {
        float[] x = gaussianRows(SEVEN_ONLY.length, seed);
        float[] out = output(expert.blocking().compute(request(1, x, DType.DTYPE_F32, SEVEN_ONLY)), SEVEN_ONLY.length);
        assertThat(out).containsExactly(ReferenceExperts.combine(1, x, SEVEN_ONLY));
    }

    private static SetPartnerUnitsRequest partners(Unit... units) {
        return SetPartnerUnitsRequest.newBuilder().addAllPartnerUnits(List.of(units)).build();
    }

    private static Unit unit(int layer, int expert) {
        return Unit.newBuilder().setLayer(layer).setExpert(expert).build();
    }
}
