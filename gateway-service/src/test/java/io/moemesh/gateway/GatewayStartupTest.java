package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.moemesh.gateway.access.ApiKeys;
import io.moemesh.service.GrpcServerLifecycle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The application fails closed: no keys, no start, unless anyone may call and the log says so. */
class GatewayStartupTest {

    private static final String LOGGING_SYSTEM = "org.springframework.boot.logging.LoggingSystem";
    private static final String[] COMMON = {"--moemesh.gateway.grpc-port=0", "--moemesh.gateway.http-port=0", "--moemesh.gateway.routers=127.0.0.1:1",
        "--server.port=0", "--spring.main.web-application-type=none"};

    @Test
    void refusesToStartWithoutApiKeys() {
        assertThatThrownBy(() -> SpringApplication.run(GatewayApplication.class, COMMON).close())
                .rootCause().hasMessageContaining("no API keys configured")
                .hasMessageContaining("moemesh.gateway.allow-unauthenticated=true");
    }

    @Test
    void refusesToStartWithAShortKey() {
        assertThatThrownBy(() -> SpringApplication.run(GatewayApplication.class, with("--MOEMESH_API_KEYS=short")).close())
                .rootCause().hasMessageContaining("keys must be at least 32");
    }

    /** Spring Boot would set logging up afresh, dropping the test's appender: it is told not to. */
    @Test
    void startsWithoutKeysWhenAllowedAndWarnsThatItServesAnyone() {
        System.setProperty(LOGGING_SYSTEM, "none");
        Logger log = (Logger) LoggerFactory.getLogger(GatewayAssembly.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        log.addAppender(logged);
        try (ConfigurableApplicationContext context = SpringApplication.run(GatewayApplication.class,
                with("--moemesh.gateway.allow-unauthenticated=true"))) {
            assertThat(context.getBean(GrpcServerLifecycle.class).isRunning()).isTrue();
            assertThat(logged.list).anySatisfy(event -> {
                assertThat(event.getLevel()).hasToString("WARN");
                assertThat(event.getFormattedMessage()).contains("authentication is OFF").contains("anyone");
            });
        } finally {
            System.clearProperty(LOGGING_SYSTEM);
            log.detachAppender(logged);
        }
    }

    @Test
    void startsWithKeysFromTheFileSetting(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("api-keys"), "# mounted Secret\n" + InProcessGateway.KEY + "\n");
        System.setProperty(LOGGING_SYSTEM, "none");
        Logger log = (Logger) LoggerFactory.getLogger(GatewayAssembly.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        log.addAppender(logged);
        log.setLevel(ch.qos.logback.classic.Level.INFO);
        try (ConfigurableApplicationContext context = SpringApplication.run(GatewayApplication.class,
                with("--moemesh.gateway.api-keys-file=" + file))) {
            assertThat(context.getBean(GrpcServerLifecycle.class).isRunning()).isTrue();
            assertThat(logged.list).anySatisfy(event -> assertThat(event.getFormattedMessage())
                    .contains("API keys in use: [" + ApiKeys.fingerprint(InProcessGateway.KEY) + "]")
                    .contains("reloading " + file));
        } finally {
            System.clearProperty(LOGGING_SYSTEM);
            log.setLevel(null);
            log.detachAppender(logged);
        }
    }

    private static String[] with(String argument) {
        String[] arguments = java.util.Arrays.copyOf(COMMON, COMMON.length + 1);
        arguments[COMMON.length] = argument;
        return arguments;
    }
}
