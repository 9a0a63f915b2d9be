package io.moemesh.expert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.moemesh.service.tracing.GrpcTracing;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The service's tracing as Spring Boot wires it from {@code moemesh.tracing.*}: an OpenTelemetry
 * tracer whose current span reaches the log lines, no span exporter at all without an endpoint (so
 * nothing ever connects), and Boot's OTLP exporter once an endpoint is set.
 */
class ExpertServiceTracingWiringTest {

    private static final String[] SERVICE = {"--moemesh.expert.model-dir=" + TinyModel.dir(),
            "--moemesh.expert.experts=3", "--moemesh.expert.grpc-port=0", "--moemesh.expert.workers=1",
            "--moemesh.expert.loopback-warmup=0s", "--server.port=0", "--moemesh.transport.bind-address=127.0.0.1",
            "--moemesh.auth.allow-unauthenticated=true"};

    @Test
    void withoutAnEndpointSpansAreMadeAndLoggedButNeverExported() {
        try (ConfigurableApplicationContext context = run("--moemesh.tracing.sampling-probability=1.0")) {
            assertThat(context.getBeansOfType(SpanExporter.class)).isEmpty();
            assertThat(context.getEnvironment().getProperty("management.tracing.sampling.probability"))
                    .isEqualTo("1.0");
            Tracer tracer = context.getBean(Tracer.class);
            assertThat(tracer).isInstanceOf(OtelTracer.class);
            assertThat(context.getBean(GrpcTracing.class).tracer()).as("the gRPC servers' and channels' tracer")
                    .isSameAs(tracer);

            Span span = tracer.nextSpan().name("test").start();
            assertThat(span.isNoop()).as("sampled at probability 1").isFalse();
            try (Tracer.SpanInScope ignored = tracer.withSpan(span)) {
                assertThat(MDC.get("traceId")).isEqualTo(span.context().traceId());
                assertThat(MDC.get("spanId")).isEqualTo(span.context().spanId());
            } finally {
                span.end();
            }
            // Boot then adds its correlation pattern ([service,traceId,spanId]) to every log line
            assertThat(context.getEnvironment().getProperty("logging.expect-correlation-id")).isEqualTo("true");
        }
    }

    @Test
    void anEndpointTurnsOnBootsOtlpExporter() {
        try (ConfigurableApplicationContext context = run(
                "--moemesh.tracing.otlp-endpoint=http://127.0.0.1:4318/v1/traces")) {
            assertThat(context.getBeansOfType(SpanExporter.class).values())
                    .hasSize(1).allSatisfy(e -> assertThat(e).isInstanceOf(OtlpHttpSpanExporter.class));
            assertThat(context.getEnvironment().getProperty("management.opentelemetry.tracing.export.otlp.endpoint"))
                    .isEqualTo("http://127.0.0.1:4318/v1/traces");
            assertThat(context.getEnvironment().getProperty("management.tracing.sampling.probability"))
                    .isEqualTo("0.1");
        }
    }

    @Test
    void actuatorRequestsStartNoTraces() throws Exception {
        InMemorySpanExporter exported = InMemorySpanExporter.create();
        String[] args = args("--moemesh.tracing.sampling-probability=1.0",
                "--management.opentelemetry.tracing.export.schedule-delay=50ms");
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(ExpertServiceApplication.class)
                .initializers(c -> c.getBeanFactory().registerSingleton("inMemorySpanExporter", exported))
                .run(args)) {
            String port = context.getEnvironment().getProperty("local.server.port");
            try (HttpClient http = HttpClient.newHttpClient()) {
                for (String path : List.of("/actuator/health", "/actuator/prometheus")) {
                    assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
                }
            }
            Tracer tracer = context.getBean(Tracer.class);
            tracer.nextSpan().name("marker").start().end(); // exported after whatever came before it
            await().atMost(Duration.ofSeconds(10)).until(() -> !exported.getFinishedSpanItems().isEmpty());
            assertThat(exported.getFinishedSpanItems()).extracting(SpanData::getName).containsExactly("marker");
        }
    }

    private static ConfigurableApplicationContext run(String... extra) {
        return SpringApplication.run(ExpertServiceApplication.class, args(extra));
    }

    private static String[] args(String... extra) {
        String[] args = new String[SERVICE.length + extra.length];
        System.arraycopy(SERVICE, 0, args, 0, SERVICE.length);
        System.arraycopy(extra, 0, args, SERVICE.length, extra.length);
        return args;
    }
}
