package io.moemesh.helm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** values.schema.json (and the template checks behind it) refuse values that would deploy something broken. */
class ValuesSchemaTest {

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', textBlock = """
            replicaCount                          | 3            | Additional property replicaCount is not allowed
            experts.gpu.cout                      | 1            | Additional property cout is not allowed
            experts.replicas                      | -1           | experts.replicas: Must be greater than or equal to 0
            experts.autoscaling.minReplicas       | 0            | experts.autoscaling.minReplicas: Must be greater than or equal to 1
            experts.count                         | sixteen      | experts.count: Invalid type. Expected: integer, given: string
            router.autoscaling.enabled            | yes          | router.autoscaling.enabled: Invalid type. Expected: boolean, given: string
            gateway.grpcPort                      | 70000        | gateway.grpcPort: Must be less than or equal to 65535
            experts.autoscaling.metric            | memory       | experts.autoscaling.metric: experts.autoscaling.metric must be one of the following
            model.source.type                     | nfs          | model.source.type: model.source.type must be one of the following
            model.name                            | ../etc       | model.name: Does not match pattern
            experts.resources.requests.cpu        | lots         | experts.resources.requests.cpu: Must validate one and only one schema
            placementController.interval          | soon         | placementController.interval: Does not match pattern
            experts.extraArgs[0]                  | -Xmx1g       | experts.extraArgs.0: Does not match pattern
            networkPolicy.metricsFrom[0].podSelector.x | y        | Additional property metricsFrom is not allowed
            security.allowUnauthenticated         | yes          | security.allowUnauthenticated: Invalid type. Expected: boolean, given: string
            security.mtls.secrets.proxy           | proxy-tls    | Additional property proxy is not allowed
            gateway.tls.certManager.issuerRef.kind | CA          | gateway.tls.certManager.issuerRef.kind: gateway.tls.certManager.issuerRef.kind must be one of the following
            router.internalGrpcPort               | 0            | router.internalGrpcPort: Must be greater than or equal to 1
            gateway.apiKeys.key                   | a/b          | gateway.apiKeys.key: Does not match pattern
            gateway.openAi.port                   | eight-thousand | gateway.openAi.port: Invalid type. Expected: integer, given: string
            gateway.openAi.port                   | 0            | gateway.openAi.port: Must be greater than or equal to 1
            gateway.openAi.enabled                | yes          | gateway.openAi.enabled: Invalid type. Expected: boolean, given: string
            gateway.openAi.path                   | /v1          | Additional property path is not allowed
            """)
    void refusesValueOutsideTheSchema(String key, String value, String message) {
        String refusal = Chart.withDefaults().set(key, value).refusal();

        assertThat(refusal).contains("values don't meet the specifications of the schema").contains(message);
    }

    @Test
    void refusesAPvcSourceWithoutAClaim() {
        assertThat(Chart.withDefaults().set("model.source.type", "pvc").refusal())
                .contains("model.source.pvc.claimName: String length must be greater than or equal to 1");
    }

    @Test
    void refusesDuplicateExpertsInTheList() {
        assertThat(Chart.withDefaults().values("experts:\n  list: [1, 2, 1]\n").refusal())
                .contains("experts.list: array items[0,2] must be unique");
    }

    @Test
    void refusesAnOverrideOfAnExpertThatIsNotDeployed() {
        assertThat(Chart.withDefaults().values("experts:\n  list: [0, 1]\n  overrides:\n    \"7\": {replicas: 2}\n").refusal())
                .contains("experts.overrides.7: there is no expert 7 (experts are 0,1)");
    }

    @Test
    void refusesAnOverrideKeyThatIsNotAnExpertIndex() {
        assertThat(Chart.withDefaults().values("experts:\n  overrides:\n    expert-3: {replicas: 2}\n").refusal())
                .contains("Additional property expert-3 is not allowed");
    }

    @Test
    void refusesMinReplicasAboveMaxReplicas() {
        assertThat(Chart.withDefaults().values("experts:\n  overrides:\n    \"2\": {autoscaling: {minReplicas: 6}}\n").refusal())
                .contains("expert 2: autoscaling.minReplicas (6) is above maxReplicas (4)");
        assertThat(Chart.withDefaults().set("router.autoscaling.minReplicas", 5).refusal())
                .contains("router.autoscaling.minReplicas (5) is above maxReplicas (3)");
    }

    @Test
    void refusesTheSameRouterPortTwice() {
        assertThat(Chart.withDefaults().set("router.internalGrpcPort", 50052).refusal())
                .contains("router.internalGrpcPort (50052) must differ from router.grpcPort");
    }

    @Test
    void acceptsEveryShippedValuesFile() {
        assertThat(Chart.withDefaults().render().objects()).isNotEmpty();
        assertThat(Chart.withDefaults().example("values-gpu.yaml").render().objects()).isNotEmpty();
    }
}
