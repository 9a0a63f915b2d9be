package io.moemesh.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UnknownFieldSet;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1Volume;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The {@code helm test} hook (issue 24, item 7): a Pod that checks the gateway's gRPC health and
 * makes one Generate call through it. Its two requests are bytes in a shell script; this test
 * decodes them and checks them against the field numbers of moemesh.proto, so a renumbered field
 * fails here rather than on a cluster.
 */
class GatewayTestHookTest {

    private static final String POD = Chart.RELEASE + "-test";
    private static final Path PROTO = Path.of("..", "proto", "src", "main", "proto", "moemesh", "v1", "moemesh.proto");

    private static V1Pod hook(Chart chart) {
        return chart.withHooks().render().named(V1Pod.class, POD);
    }

    private static String script(V1Pod pod) {
        return pod.getSpec().getContainers().getFirst().getArgs().getFirst();
    }

    @Test
    void isAHelmTestHookThatRunsOnceAndLocksDown() {
        V1Pod pod = hook(Chart.withDefaults());

        assertThat(pod.getMetadata().getAnnotations()).containsEntry(Chart.HOOK_AS_MANIFEST, "test");
        assertThat(Chart.withDefaults().render().all(V1Pod.class)).as("a hook, not a manifest").isEmpty();
        assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
        assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
        V1Container container = pod.getSpec().getContainers().getFirst();
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(container.getImage()).startsWith("curlimages/curl:");
    }

    @Test
    void neitherServiceNorDeploymentSelectsTheTestPod() {
        Manifests manifests = Chart.withDefaults().withHooks().render();
        var labels = manifests.named(V1Pod.class, POD).getMetadata().getLabels();

        assertThat(manifests.all(V1Service.class)).noneSatisfy(s -> assertThat(labels.entrySet())
                .containsAll(s.getSpec().getSelector().entrySet()));
        assertThat(manifests.all(V1Deployment.class)).noneSatisfy(d -> assertThat(labels.entrySet())
                .containsAll(d.getSpec().getSelector().getMatchLabels().entrySet()));
    }

    @Test
    void checksHealthThenGeneratesWithTheApiKeyOverPlaintextGrpc() {
        V1Pod pod = hook(Chart.withDefaults());
        String script = script(pod);

        assertThat(script).contains("url=http://moe-mesh-gateway.moe.svc:50051", "--http2-prior-knowledge",
                "$url/grpc.health.v1.Health/Check", "$url/moemesh.v1.MoeMesh/Generate", "--header @/tmp/authorization");
        assertThat(script.indexOf("Health/Check")).isLessThan(script.indexOf("MoeMesh/Generate"));
        // a Generate passes only when its trailers say OK (curl writes them with the headers)
        assertThat(script).contains("grep -qiE '^grpc-status: *0' /tmp/generate.headers");
        assertThat(pod.getSpec().getVolumes()).filteredOn(v -> v.getName().equals("api-keys")).singleElement()
                .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo(Chart.API_KEYS_SECRET));
    }

    @Test
    void theHealthRequestIsAnEmptyFrameAndTheExpectedAnswerIsServing() {
        String script = script(hook(Chart.withDefaults()));

        byte[] health = printfBytes(script, "/tmp/health.req");
        assertThat(health).containsExactly(0, 0, 0, 0, 0);
        // HealthCheckResponse.status = 1 (SERVING), the frame the script compares with
        byte[] serving = {0, 0, 0, 0, 2, 8, 1};
        UnknownFieldSet response = parseFrame(serving);
        assertThat(response.getField(1).getVarintList()).containsExactly(1L);
        assertThat(script).contains("\"00000000020801\"");
    }

    @Test
    void theGenerateRequestIsMoemeshGenerateRequestWithPromptAndMaxTokens() throws IOException {
        String proto = Files.readString(PROTO);
        assertThat(proto).contains("string prompt = 2;", "SamplingParams sampling = 4;", "int32 max_tokens = 5;");

        UnknownFieldSet request = parseFrame(printfBytes(script(hook(Chart.withDefaults())), "/tmp/generate.req"));

        assertThat(request.getField(2).getLengthDelimitedList()).singleElement()
                .satisfies(prompt -> assertThat(prompt.toStringUtf8()).isEqualTo("Hello"));
        UnknownFieldSet sampling = UnknownFieldSet.parseFrom(request.getField(4).getLengthDelimitedList().getFirst());
        assertThat(sampling.getField(5).getVarintList()).containsExactly(4L);
    }

    @Test
    void withoutApiKeysNoKeyIsSent() {
        String script = script(hook(Chart.withDefaults().set("gateway.apiKeys.existingSecret", "")
                .set("security.allowUnauthenticated", true)));

        assertThat(script).doesNotContain("authorization").contains("MoeMesh/Generate");
    }

    @Test
    void aTlsGatewayIsCalledOverHttpsTrustingOnlyTheCaOfItsSecret() {
        V1Pod pod = hook(Chart.withDefaults().set("gateway.tls.secretName", "gateway-cert").set("tests.tlsCaFromSecret", true));
        String script = script(pod);

        assertThat(script).contains("url=https://moe-mesh-gateway.moe.svc:50051", "--http2 --cacert /etc/moemesh/tls/ca.crt")
                .doesNotContain("prior-knowledge");
        V1Volume tls = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals("tls")).findFirst().orElseThrow();
        assertThat(tls.getSecret().getSecretName()).isEqualTo("gateway-cert");
        assertThat(tls.getSecret().getItems()).singleElement().satisfies(i -> assertThat(i.getKey()).isEqualTo("ca.crt"));
    }

    @Test
    void aRestrictedGatewayStillAdmitsTheTestPod() {
        Manifests manifests = Chart.withDefaults().values("""
                networkPolicy:
                  gatewayFrom: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]
                """).render();

        V1NetworkPolicy gateway = manifests.named(V1NetworkPolicy.class, Chart.RELEASE + "-gateway");
        assertThat(gateway.getSpec().getIngress().getFirst().getFrom()).anySatisfy(peer -> assertThat(
                peer.getPodSelector() == null ? null : peer.getPodSelector().getMatchLabels())
                .containsEntry("moemesh.io/role", "test"));
    }

    @Test
    void canBeLeftOut() {
        assertThat(Chart.withDefaults().set("tests.enabled", false).withHooks().render().all(V1Pod.class)).isEmpty();
    }

    /** The bytes a {@code printf '...' > file} line of the script writes (octal escapes and plain characters). */
    private static byte[] printfBytes(String script, String file) {
        Matcher line = Pattern.compile("printf '([^']*)' > " + Pattern.quote(file)).matcher(script);
        assertThat(line.find()).as("a printf into " + file).isTrue();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        String format = line.group(1);
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c == '\\') {
                bytes.write(Integer.parseInt(format.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                bytes.write(String.valueOf(c).getBytes(StandardCharsets.US_ASCII)[0]);
            }
        }
        return bytes.toByteArray();
    }

    /** The message of one uncompressed gRPC frame: flag 0, a 4-byte big-endian length, the message. */
    private static UnknownFieldSet parseFrame(byte[] frame) {
        assertThat(frame[0]).as("compressed flag").isZero();
        int length = ((frame[1] & 0xff) << 24) | ((frame[2] & 0xff) << 16) | ((frame[3] & 0xff) << 8) | (frame[4] & 0xff);
        assertThat(frame).hasSize(5 + length);
        try {
            return UnknownFieldSet.parseFrom(Arrays.copyOfRange(frame, 5, frame.length));
        } catch (IOException e) {
            throw new AssertionError("not a protobuf message", e);
        }
    }
}
