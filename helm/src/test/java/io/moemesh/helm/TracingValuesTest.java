package io.moemesh.helm;

import static io.moemesh.helm.Manifests.arg;
import static io.moemesh.helm.Manifests.mainContainer;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.moemesh.helm.PolicyCheck.Pod;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * tracing.otlpEndpoint turns OTLP export on in every service (moemesh.tracing.*) and, under
 * NetworkPolicies, opens egress to the collector's peers on the endpoint's port.
 */
class TracingValuesTest {

    /** The services that trace; the placement controller serves no request path and makes no spans. */
    private static final List<String> ROLES = List.of("expert", "router", "gateway");
    private static final String ENDPOINT = "http://otel-collector.monitoring.svc:4318/v1/traces";
    private static final Pod COLLECTOR = new Pod(Map.of("app", "otel-collector"));
    private static final Pod STRANGER = new Pod(Map.of("app", "something-else"));

    @Test
    void noServiceGetsTracingArgumentsByDefault() {
        Manifests defaults = Chart.withDefaults().render();

        assertThat(defaults.all(V1Deployment.class)).hasSize(19).allSatisfy(d -> assertThat(mainContainer(d).getArgs())
                .as(d.getMetadata().getName()).noneMatch(a -> a.startsWith("--moemesh.tracing.")));
    }

    @Test
    void theEndpointAndSamplingProbabilityReachEveryService() {
        Manifests traced = traced().values("tracing: {samplingProbability: 0.25}\n").render();

        for (String role : ROLES) {
            assertThat(traced.deployments(role)).as(role).isNotEmpty().allSatisfy(d -> {
                assertThat(arg(mainContainer(d), "moemesh.tracing.otlp-endpoint")).isEqualTo(ENDPOINT);
                assertThat(arg(mainContainer(d), "moemesh.tracing.sampling-probability")).isEqualTo("0.25");
            });
        }
        assertThat(arg(mainContainer(traced().render().deployments("router").getFirst()),
                "moemesh.tracing.sampling-probability")).isEqualTo("0.1");
        assertThat(traced.deployments("controller")).isNotEmpty().allSatisfy(d -> assertThat(mainContainer(d).getArgs())
                .noneMatch(a -> a.startsWith("--moemesh.tracing.")));
    }

    @Test
    void everyServiceMayReachTheCollectorOnTheEndpointsPortAndNothingElseThere() {
        PolicyCheck check = new PolicyCheck(traced().render().all(V1NetworkPolicy.class));
        Manifests manifests = traced().render();

        for (String role : ROLES) {
            Pod pod = new Pod(Manifests.podLabels(manifests.deployments(role).getFirst()));
            assertThat(check.egressAllowed(pod, COLLECTOR, 4318)).as(role).isTrue();
            assertThat(check.egressAllowed(pod, COLLECTOR, 4317)).as(role).isFalse();
            assertThat(check.egressAllowed(pod, STRANGER, 4318)).as(role).isFalse();
        }
    }

    @Test
    void theCollectorPortComesFromTheValueOrTheEndpointsScheme() {
        Manifests https = traced().set("tracing.otlpEndpoint", "https://traces.example.com/v1/traces").render();
        Manifests given = traced().set("networkPolicy.tracing.port", 14318).render();
        Pod expert = new Pod(Manifests.podLabels(https.deployments("expert").getFirst()));

        assertThat(new PolicyCheck(https.all(V1NetworkPolicy.class)).egressAllowed(expert, COLLECTOR, 443)).isTrue();
        assertThat(new PolicyCheck(given.all(V1NetworkPolicy.class)).egressAllowed(expert, COLLECTOR, 14318)).isTrue();
        assertThat(new PolicyCheck(given.all(V1NetworkPolicy.class)).egressAllowed(expert, COLLECTOR, 4318)).isFalse();
    }

    @Test
    void noEgressToACollectorWhileTracingIsOff() {
        Manifests off = Chart.withDefaults().values("""
                networkPolicy:
                  tracing:
                    to:
                      - podSelector: {matchLabels: {app: otel-collector}}
                """).render();
        PolicyCheck check = new PolicyCheck(off.all(V1NetworkPolicy.class));

        for (String role : ROLES) {
            Pod pod = new Pod(Manifests.podLabels(off.deployments(role).getFirst()));
            assertThat(check.egressAllowed(pod, COLLECTOR, 4318)).as(role).isFalse();
        }
    }

    @Test
    void refusesAnEndpointWithoutTheCollectorsPeersUnderNetworkPolicies() {
        assertThat(Chart.withDefaults().set("tracing.otlpEndpoint", ENDPOINT).refusal())
                .contains("networkPolicy.tracing.to is required while tracing.otlpEndpoint is set");
        assertThat(Chart.withDefaults().set("tracing.otlpEndpoint", ENDPOINT).set("networkPolicy.enabled", false)
                .render().deployments("gateway")).isNotEmpty();
    }

    @Test
    void theSchemaRefusesAnEndpointWithoutSchemeAndAProbabilityAboveOne() {
        assertThat(Chart.withDefaults().set("tracing.otlpEndpoint", "otel-collector:4318").refusal())
                .contains("tracing.otlpEndpoint: Does not match pattern");
        assertThat(Chart.withDefaults().values("tracing: {samplingProbability: 1.5}\n").refusal())
                .contains("tracing.samplingProbability: Must be less than or equal to 1");
    }

    @Test
    void theRoutersTracedStepBudgetIsTheRoutersOwnDefaultUnlessSet() {
        assertThat(mainContainer(traced().render().deployments("router").getFirst()).getArgs())
                .noneMatch(a -> a.startsWith("--moemesh.router.traced-steps-per-second"));

        for (String value : List.of("0", "0.5", "-1", "10")) {
            Manifests set = Chart.withDefaults().values("tracing: {tracedStepsPerSecond: " + value + "}\n").render();
            assertThat(arg(mainContainer(set.deployments("router").getFirst()), "moemesh.router.traced-steps-per-second"))
                    .isEqualTo(value);
            for (String role : List.of("expert", "gateway", "controller")) {
                assertThat(set.deployments(role)).as(role).isNotEmpty().allSatisfy(d -> assertThat(
                        mainContainer(d).getArgs()).noneMatch(a -> a.startsWith("--moemesh.router.traced-steps")));
            }
        }
    }

    @Test
    void theSchemaRefusesATracedStepBudgetThatIsNoRate() {
        assertThat(Chart.withDefaults().values("tracing: {tracedStepsPerSecond: -2}\n").refusal())
                .contains("tracing.tracedStepsPerSecond");
        assertThat(Chart.withDefaults().values("tracing: {tracedStepsPerSecond: fast}\n").refusal())
                .contains("tracing.tracedStepsPerSecond");
    }

    private static Chart traced() {
        return Chart.withDefaults().set("tracing.otlpEndpoint", ENDPOINT).values("""
                networkPolicy:
                  tracing:
                    to:
                      - podSelector: {matchLabels: {app: otel-collector}}
                """);
    }
}
