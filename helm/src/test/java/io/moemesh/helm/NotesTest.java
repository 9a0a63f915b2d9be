package io.moemesh.helm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The install notes give commands that work with the installed options (TLS, keys, internal authentication). */
class NotesTest {

    @Test
    void plaintextGatewayThroughPortForwardAllowsTheKeyOverLoopbackPlaintext() {
        String notes = Chart.withDefaults().notes();

        assertThat(notes).contains("get secret " + Chart.API_KEYS_SECRET)
                .contains("moe generate --gateway localhost:50051 --api-key-file moe-api-key --allow-key-over-plaintext");
    }

    @Test
    void gatewayTlsGivesTlsAndTheNameTheCertificateCarries() {
        String notes = Chart.withDefaults().values("""
                gateway:
                  tls:
                    secretName: gateway-cert
                    certManager:
                      issuerRef: {name: letsencrypt, kind: ClusterIssuer}
                """).notes();

        assertThat(notes).contains("moe generate --gateway localhost:50051 --tls --server-name " + Chart.RELEASE
                + "-gateway --api-key-file moe-api-key").doesNotContain("--allow-key-over-plaintext")
                .contains("--ca-cert moe-ca.crt");
        assertThat(Chart.withDefaults().set("gateway.tls.secretName", "gateway-cert").notes())
                .contains("--tls --server-name <a DNS name in the certificate>");
    }

    @Test
    void mtlsGatewayGivesTheMeshCa() {
        String notes = Chart.withDefaults().set("security.mtls.enabled", true).notes();

        assertThat(notes).contains("get secret " + Chart.RELEASE + "-gateway-tls -o jsonpath='{.data.ca\\.crt}'")
                .contains("--ca-cert moe-ca.crt --server-name " + Chart.RELEASE + "-gateway");
    }

    @Test
    void plaintextOpenAiApiIsCalledOnLoopbackWithTheKeyAsBearerToken() {
        String notes = Chart.withDefaults().notes();

        assertThat(notes).contains("port-forward svc/" + Chart.RELEASE + "-gateway 8000:8000")
                .contains("curl http://127.0.0.1:8000/v1/models -H \"Authorization: Bearer $(cat moe-api-key)\"");
    }

    @Test
    void openAiApiOverTlsIsCalledByTheNameTheCertificateCarries() {
        String publicCert = Chart.withDefaults().set("gateway.openAi.port", 9000).values("""
                gateway:
                  tls:
                    secretName: gateway-cert
                    certManager:
                      issuerRef: {name: letsencrypt, kind: ClusterIssuer}
                """).notes();
        String gateway = Chart.RELEASE + "-gateway";

        assertThat(publicCert).contains("port-forward svc/" + gateway + " 9000:9000")
                .contains("curl --resolve " + gateway + ":9000:127.0.0.1 https://" + gateway + ":9000/v1/models -H");
        assertThat(Chart.withDefaults().set("security.mtls.enabled", true).notes())
                .contains("curl --cacert moe-ca.crt --resolve " + gateway + ":8000:127.0.0.1 https://" + gateway
                        + ":8000/v1/models");
        assertThat(Chart.withDefaults().set("gateway.tls.secretName", "gateway-cert").notes())
                .contains("curl --resolve HOST:8000:127.0.0.1 https://HOST:8000/v1/models");
    }

    @Test
    void noOpenAiApiLinesWhenItIsOffOrWithoutAKeyHeaderWhenThereAreNoKeys() {
        assertThat(Chart.withDefaults().set("gateway.openAi.enabled", false).notes()).doesNotContain("/v1/models")
                .doesNotContain("8000:8000");
        assertThat(Chart.withDefaults().set("gateway.apiKeys.existingSecret", "").set("security.allowUnauthenticated", true)
                .notes()).contains("curl http://127.0.0.1:8000/v1/models\n").doesNotContain("Authorization");
    }

    @Test
    void planGetsTheInternalTokenFromItsSecretOrTheStatusOverHttp() {
        String notes = Chart.withDefaults().notes();

        assertThat(notes).contains("get secret " + Chart.TOKEN_SECRET + " -o jsonpath='{.data.token}' | base64 -d > moe-internal-token")
                .contains("moe plan --controller localhost:50053 --internal-token-file moe-internal-token")
                .contains("port-forward svc/" + Chart.RELEASE + "-placement-controller 8083:8083")
                .contains("curl -s localhost:8083/placement");
    }

    @Test
    void notesNoLongerCallDiscoveryOrTheReconcilerUnbuilt() {
        String notes = Chart.withDefaults().notes();

        assertThat(notes).doesNotContainIgnoringCase("not built").doesNotContain("has no Kubernetes reconciler");
    }

    @Test
    void notesPointToHelmTestAndTheRoutes() {
        String notes = Chart.withDefaults().values("""
                gateway:
                  route: {enabled: true, parentRefs: [{name: edge}], hostnames: [moe.example.com]}
                """).notes();

        assertThat(notes).contains("helm test moe-mesh -n moe --logs")
                .contains("through the Gateway API routes (moe.example.com)")
                .contains("moe generate --gateway HOST:443 --tls");
        assertThat(Chart.withDefaults().set("tests.enabled", false).notes()).doesNotContain("helm test");
    }
}
