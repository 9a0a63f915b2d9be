package io.moemesh.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.service.GrpcServerLifecycle;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The controller application's start-up: where it binds and when it refuses to start. */
class PlacementControllerApplicationTest {

    private static final String[] BASE = {"--moemesh.controller.routers=127.0.0.1:1",
        "--moemesh.controller.initial-delay=1h", "--moemesh.controller.grpc-port=0", "--server.port=0",
        "--moemesh.transport.bind-address=127.0.0.1"};

    @Test
    void bindsGrpcAndHttpToTheBindAddress() throws Exception {
        try (ConfigurableApplicationContext context = SpringApplication.run(PlacementControllerApplication.class,
                with("--moemesh.auth.allow-unauthenticated=true"))) {
            int grpc = context.getBean(GrpcServerLifecycle.class).port();
            int http = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));

            assertThat(context.getEnvironment().getProperty("server.address")).isEqualTo("127.0.0.1");
            for (int port : new int[] {grpc, http}) {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                    assertThat(socket.isConnected()).isTrue();
                }
            }
        }
    }

    @Test
    void refusesToStartWithoutInternalAuthentication() {
        assertThatThrownBy(() -> SpringApplication.run(PlacementControllerApplication.class, BASE).close())
                .rootCause().hasMessageContainingAll("placement-controller refuses to start",
                        "moemesh.auth.internal-token-file", "moemesh.tls.client-auth=require",
                        "moemesh.auth.allow-unauthenticated=true");
    }

    private static String[] with(String... more) {
        String[] args = java.util.Arrays.copyOf(BASE, BASE.length + more.length);
        System.arraycopy(more, 0, args, BASE.length, more.length);
        return args;
    }
}
