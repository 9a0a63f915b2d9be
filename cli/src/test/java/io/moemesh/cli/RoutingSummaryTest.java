package io.moemesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.LayerRoutingStats;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Collections;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code moe demo}'s routing summary, from a fake router's routing-statistics RPC over TCP. */
class RoutingSummaryTest {

    private Server router;

    @AfterEach
    void stop() {
        router.shutdownNow();
    }

    private String summaryOf(RoutingStatsSnapshot snapshot) throws IOException {
        router = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(new RoutingStatsGrpc.RoutingStatsImplBase() {
                    @Override
                    public void getRoutingStats(GetRoutingStatsRequest request,
                            StreamObserver<RoutingStatsSnapshot> response) {
                        response.onNext(snapshot);
                        response.onCompleted();
                    }
                }).build().start();
        StringWriter text = new StringWriter();
        DemoCommand.printRoutingSummary("127.0.0.1:" + router.getPort(), new PrintWriter(text, true));
        return text.toString();
    }

    private static RoutingStatsSnapshot.Builder oneLayer() {
        return RoutingStatsSnapshot.newBuilder().setNumLayers(1).setNumExperts(2).addLayers(LayerRoutingStats
                .newBuilder().setLayer(0).setTokens(4).addTokensPerExpert(3).addTokensPerExpert(1)
                .addAllCoactivation(Collections.nCopies(4, 0L)));
    }

    @Test
    void printsRemoteCallsAndBytesPerTokenPerLayer() throws IOException {
        String summary = summaryOf(oneLayer().setTraffic(DispatchTraffic.newBuilder().setExpertCalls(3)
                .setTokenSends(6).setTokenLayers(4).setBytesSent(1536).setBytesReceived(1536)).build());

        assertThat(summary).contains("layer 0: 4 tokens")
                .contains("1.50 remote calls and 768 bytes per token per layer");
    }

    @Test
    void saysNothingAboutTrafficWhenTheRouterRunsItsExpertsInProcess() throws IOException {
        assertThat(summaryOf(oneLayer().build())).contains("layer 0: 4 tokens").doesNotContain("per token per layer");
    }
}
