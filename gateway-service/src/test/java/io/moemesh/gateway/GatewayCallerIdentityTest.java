package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.moemesh.gateway.access.ApiKeys;
import io.moemesh.gateway.routing.RouterClient;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.ListModelsRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The router learns who calls from {@code moemesh-caller}: a key's fingerprint, never the key. */
class GatewayCallerIdentityTest {

    private final FakeRouter router = new FakeRouter("r0");
    private InProcessGateway gateway = InProcessGateway.withKeys(router);

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void routerReceivesTheKeysFingerprintAndNoHeaderCarriesTheKey() {
        generate(gateway.stub(InProcessGateway.KEY));
        gateway.stub(InProcessGateway.OTHER_KEY).listModels(ListModelsRequest.getDefaultInstance());

        assertThat(router.headers).hasSize(2);
        assertThat(router.headers.get(0).get(RouterClient.CALLER)).isEqualTo(ApiKeys.fingerprint(InProcessGateway.KEY));
        assertThat(router.headers.get(1).get(RouterClient.CALLER))
                .isEqualTo(ApiKeys.fingerprint(InProcessGateway.OTHER_KEY));
        for (Metadata headers : router.headers) {
            for (String name : headers.keys()) {
                if (!name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                    assertThat(headers.getAll(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER)))
                            .as(name).noneMatch(value -> value.contains(InProcessGateway.KEY)
                                    || value.contains(InProcessGateway.OTHER_KEY));
                }
            }
        }
    }

    @Test
    void anonymousCallerIsNamedByPeerAddress() {
        gateway.close();
        gateway = new InProcessGateway(new TestProperties().apiKeys().allowUnauthenticated().build(), router);

        generate(gateway.stub(null, "192.0.2.44"));

        assertThat(router.headers.getFirst().get(RouterClient.CALLER)).isEqualTo("anonymous:192.0.2.44");
    }

    private static void generate(MoeMeshGrpc.MoeMeshBlockingStub stub) {
        stub.generate(GenerateRequest.newBuilder().setPrompt("hi").build()).forEachRemaining(response -> { });
    }
}
