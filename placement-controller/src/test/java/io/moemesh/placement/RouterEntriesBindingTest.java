package io.moemesh.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** {@code moemesh.controller.routers}: fixed {@code host:port} routers, or every router a {@code dns:///} name resolves to. */
class RouterEntriesBindingTest {

    private static ControllerProperties bind(String routers) {
        return new Binder(new MapConfigurationPropertySource(Map.of("moemesh.controller.routers", routers)))
                .bind("moemesh.controller", ControllerProperties.class).get();
    }

    @Test
    void acceptsHostPortAndTheHeadlessServiceAsADnsEntry() {
        assertThat(bind("127.0.0.1:50056,dns:///moe-mesh-router-headless:50056").routers())
                .containsExactly("127.0.0.1:50056", "dns:///moe-mesh-router-headless:50056");
    }

    @Test
    void refusesADnsEntryWithoutAPortOrWithAPathNamingBothForms() {
        for (String entry : new String[] {"dns:///moe-mesh-router-headless", "dns:///10.0.0.1/router:50056"}) {
            assertThatThrownBy(() -> bind(entry)).isInstanceOf(BindException.class).rootCause()
                    .hasMessageContaining("'" + entry + "'").hasMessageContaining("dns:///host:port");
        }
    }
}
