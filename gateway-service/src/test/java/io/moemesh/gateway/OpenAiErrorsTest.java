package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.moemesh.gateway.access.ApiKeys;
import io.moemesh.gateway.routing.RouterClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

/** Refusals in OpenAI's error shape, with the status OpenAI's clients map to their exceptions. */
class OpenAiErrorsTest {

    private HttpGateway gateway = new HttpGateway();

    @AfterEach
    void close() {
        gateway.close();
    }

    private static void assertError(HttpResponse<String> response, int status, String type, String messagePart) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode error = HttpGateway.json(response).get("error");
        assertThat(error.get("type").asString()).isEqualTo(type);
        assertThat(error.get("message").asString()).contains(messagePart);
        assertThat(error.has("param")).isTrue();
        assertThat(error.has("code")).isTrue();
    }

    @Test
    void anUnknownKeyIs401() {
        assertError(gateway.post("/v1/completions", "{\"prompt\": \"a\"}", "not-a-key-0123456789abcdef0123456789"),
                401, "authentication_error", "API key");
    }

    @Test
    void noKeyIs401AndNothingReachesTheRouter() {
        assertError(gateway.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}",
                null), 401, "authentication_error", "API key");
        assertError(gateway.get("/v1/models", null), 401, "authentication_error", "API key");
        assertThat(gateway.router.requests).isEmpty();
    }

    @Test
    void withoutAKeyTheBodyIsNotReadAndTheRefusalIs401() {
        assertError(gateway.post("/v1/completions", "{not json", null), 401, "authentication_error", "API key");
        assertError(gateway.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}",
                "wrong-key-0123456789abcdef0123456789"), 401, "authentication_error", "API key");
    }

    @Test
    void aStreamRefusedBeforeItsFirstTokenGetsTheRealStatus() {
        assertError(gateway.post("/v1/completions", "{\"prompt\": \"a\", \"stream\": true}", "wrong-key-0123456789abcdef012345"),
                401, "authentication_error", "API key");
    }

    @Test
    void anUnknownModelIs404() {
        HttpResponse<String> response = gateway.post("/v1/completions", "{\"model\": \"gpt-4\", \"prompt\": \"a\"}");

        assertError(response, 404, "invalid_request_error", "gpt-4");
        assertThat(HttpGateway.json(response).at("/error/code").asString()).isEqualTo("model_not_found");
        assertThat(HttpGateway.json(response).at("/error/message").asString()).contains("model-of-r1");
    }

    @Test
    void overTheRateLimitIs429() {
        gateway.close();
        gateway = new HttpGateway(new TestProperties().rateLimit(1, Duration.ofMinutes(1)).build());
        gateway.post("/v1/completions", "{\"model\": \"model-of-r1\", \"prompt\": \"a\"}");

        assertError(gateway.post("/v1/completions", "{\"model\": \"model-of-r1\", \"prompt\": \"a\"}"), 429,
                "rate_limit_error", "");
    }

    @Test
    void anHttpCallerIsTheRoutersCallerByKeyOrWithoutKeysByItsAddress() {
        gateway.post("/v1/completions", "{\"prompt\": \"a\"}");
        assertThat(gateway.router.headers.getLast().get(RouterClient.CALLER))
                .isEqualTo(ApiKeys.fingerprint(InProcessGateway.KEY));

        gateway.close();
        gateway = new HttpGateway(new TestProperties().apiKeys().allowUnauthenticated().build());
        gateway.post("/v1/completions", "{\"prompt\": \"a\"}", null);
        // the HTTP client's address, not the in-process transport's: per-peer limits see each client
        assertThat(gateway.router.headers.getLast().get(RouterClient.CALLER)).isEqualTo("anonymous:127.0.0.1");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"UNAVAILABLE, 503", "DEADLINE_EXCEEDED, 504", "RESOURCE_EXHAUSTED, 429", "INVALID_ARGUMENT, 400",
        "NOT_FOUND, 404", "INTERNAL, 500"})
    void theRoutersStatusBecomesOpenAisStatus(Status.Code code, int http) {
        gateway.router.script = FakeRouter.failing(Status.fromCode(code).withDescription("from the router"));

        HttpResponse<String> response = gateway.post("/v1/completions", "{\"prompt\": \"a\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(http);
        assertThat(HttpGateway.json(response).at("/error/message").asString()).isNotEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "n                 | {\"prompt\": \"a\", \"n\": 2}",
        "n                 | {\"prompt\": \"a\", \"n\": 4294967297}",
        "ignore_eos        | {\"prompt\": \"a\", \"ignore_eos\": \"yes\"}",
        "presence_penalty  | {\"prompt\": \"a\", \"presence_penalty\": 2.5}",
        "frequency_penalty | {\"prompt\": \"a\", \"frequency_penalty\": -3}",
        "logprobs          | {\"prompt\": \"a\", \"logprobs\": 21}",
        "logprobs          | {\"prompt\": \"a\", \"logprobs\": true}",
        "max_tokens        | {\"prompt\": \"a\", \"max_tokens\": 100000}",
        "best_of           | {\"prompt\": \"a\", \"best_of\": 3}",
        "echo              | {\"prompt\": \"a\", \"echo\": true}",
        "suffix            | {\"prompt\": \"a\", \"suffix\": \"z\"}",
        "logit_bias        | {\"prompt\": \"a\", \"logit_bias\": {\"50\": 10}}",
        "temperature       | {\"prompt\": \"a\", \"temperature\": 2.5}",
        "top_p             | {\"prompt\": \"a\", \"top_p\": 0}",
        "top_k             | {\"prompt\": \"a\", \"top_k\": -3}",
        "max_tokens        | {\"prompt\": \"a\", \"max_tokens\": 0}",
        "seed              | {\"prompt\": \"a\", \"seed\": \"x\"}",
        "stop              | {\"prompt\": \"a\", \"stop\": 5}",
        "stream            | {\"prompt\": \"a\", \"stream\": \"yes\"}",
        "stream_options    | {\"prompt\": \"a\", \"stream_options\": {\"include_usage\": true}}",
        "prompt            | {\"max_tokens\": 3}",
        "prompt            | {\"prompt\": [1, \"a\"]}",
        "model             | {\"prompt\": \"a\", \"model\": 7}",
    })
    void aFieldTheServerCannotHonourIs400NamingIt(String param, String body) {
        HttpResponse<String> response = gateway.post("/v1/completions", body);

        assertError(response, 400, "invalid_request_error", param);
        assertThat(HttpGateway.json(response).at("/error/param").asString()).isEqualTo(param);
        assertThat(gateway.router.requests).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "messages        | {\"messages\": []}",
        "messages        | {\"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}",
        "messages        | {\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}",
        "messages        | {\"messages\": [{\"content\": \"x\"}]}",
        "tools           | {\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tools\": [{\"type\": \"function\"}]}",
        "top_logprobs    | {\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"top_logprobs\": 3}",
        "top_logprobs    | {\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"logprobs\": true, \"top_logprobs\": 30}",
        "logprobs        | {\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"logprobs\": 1}",
        "response_format | {\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"response_format\": {\"type\": \"json_object\"}}",
    })
    void aChatFieldTheServerCannotHonourIs400NamingIt(String param, String body) {
        assertError(gateway.post("/v1/chat/completions", body), 400, "invalid_request_error", "");
        assertThat(HttpGateway.json(gateway.post("/v1/chat/completions", body)).at("/error/param").asString())
                .isEqualTo(param);
    }

    @Test
    void theGatewaysOwnLimitsAnswerInTheHttpFieldNames() {
        HttpResponse<String> response = gateway.post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 100000}");

        assertError(response, 400, "invalid_request_error", "max_tokens");
        assertThat(HttpGateway.json(response).at("/error/message").asString()).doesNotContain("sampling.");
    }

    @Test
    void bodiesThatAreNotJsonObjectsAre400() {
        assertError(gateway.post("/v1/completions", "{not json"), 400, "invalid_request_error", "not valid JSON");
        assertError(gateway.post("/v1/completions", "[1, 2]"), 400, "invalid_request_error", "JSON object");
        assertError(gateway.post("/v1/completions", ""), 400, "invalid_request_error", "");
    }

    @Test
    void aBodyOverOneMebibyteIs413() {
        String prompt = "x".repeat((1 << 20) + 10);

        assertError(gateway.post("/v1/completions", "{\"prompt\": \"" + prompt + "\"}"), 413, "invalid_request_error",
                "larger than");
    }

    @Test
    void unknownPathsAre404AndWrongMethods405() {
        assertError(gateway.get("/v1/engines", InProcessGateway.KEY), 404, "invalid_request_error", "/v1/engines");
        HttpResponse<String> wrongMethod = gateway.get("/v1/completions", InProcessGateway.KEY);
        assertError(wrongMethod, 405, "invalid_request_error", "GET");
        assertThat(wrongMethod.headers().firstValue("allow")).hasValue("POST");
    }
}
