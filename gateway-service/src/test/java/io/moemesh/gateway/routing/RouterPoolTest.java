package io.moemesh.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.moemesh.gateway.FakeRouter;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Routers that never answer, so calls stay in flight until the test ends. */
class RouterPoolTest {

    private final Server server;
    private final List<RouterClient> routers = new ArrayList<>();
    private final List<ClientCallStreamObserver<GenerateRequest>> calls = new ArrayList<>();
    private final RouterPool pool;

    RouterPoolTest() throws Exception {
        String name = InProcessServerBuilder.generateName();
        FakeRouter hanging = new FakeRouter("hanging");
        hanging.script = FakeRouter.hanging();
        server = InProcessServerBuilder.forName(name).directExecutor().addService(hanging).build().start();
        for (int i = 0; i < 3; i++) {
            ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
            routers.add(new RouterClient("r" + i, channel));
        }
        pool = new RouterPool(routers);
    }

    @AfterEach
    void stop() {
        calls.forEach(call -> call.cancel("test over", null));
        pool.close();
        server.shutdownNow();
    }

    @Test
    void picksTheRouterWithFewestCallsInFlight() {
        startCalls(routers.get(0), 2);
        startCalls(routers.get(1), 1);
        startCalls(routers.get(2), 3);

        assertThat(pool.pick(Set.of())).isSameAs(routers.get(1));
    }

    @Test
    void rotatesAmongRoutersWithEqualLoad() {
        Set<RouterClient> picked = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            picked.add(pool.pick(Set.of()));
        }

        assertThat(picked).containsExactlyInAnyOrderElementsOf(routers);
    }

    @Test
    void neverPicksAnExcludedRouter() {
        startCalls(routers.get(1), 1);
        startCalls(routers.get(2), 1);

        assertThat(pool.pick(Set.of(routers.get(0)))).isIn(routers.get(1), routers.get(2));
    }

    @Test
    void picksNothingWhenEveryRouterIsExcluded() {
        assertThat(pool.pick(routers)).isNull();
    }

    @Test
    void aHeadlessServiceEntryIsPickedAgainWhenEverythingIsExcludedForItsNextPodTakesTheRetry() {
        RouterClient headless = new RouterClient("dns:///moe-router-headless:50052",
                InProcessChannelBuilder.forName("unused").build());
        try (RouterPool pods = new RouterPool(List.of(routers.get(0), headless))) {
            assertThat(pods.pick(List.of(routers.get(0), headless))).isSameAs(headless);
        }
    }

    @Test
    void callsLeaveTheInFlightCountWhenTheyEnd() {
        startCalls(routers.get(0), 2);

        calls.forEach(call -> call.cancel("done", null));

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(routers.get(0).inFlight()).isZero());
    }

    private void startCalls(RouterClient router, int count) {
        for (int i = 0; i < count; i++) {
            router.call(MoeMeshGrpc.getGenerateMethod(), GenerateRequest.getDefaultInstance(),
                    new RouterCall(Deadline.after(1, TimeUnit.MINUTES), "caller", "request"),
                    new ClientResponseObserver<GenerateRequest, GenerateResponse>() {
                        @Override
                        public void beforeStart(ClientCallStreamObserver<GenerateRequest> requestStream) {
                            calls.add(requestStream);
                        }

                        @Override
                        public void onNext(GenerateResponse value) {
                        }

                        @Override
                        public void onError(Throwable t) {
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
        }
        assertThat(router.inFlight()).isEqualTo(count);
    }
}
