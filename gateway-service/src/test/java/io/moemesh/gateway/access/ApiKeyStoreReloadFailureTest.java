package io.moemesh.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.moemesh.gateway.FakeTicker;
import io.moemesh.gateway.metrics.GatewayMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What one failed reload of the key file does: nothing to the keys in use, and it shows. */
class ApiKeyStoreReloadFailureTest {

    private static final String A = "key-a-0123456789abcdef0123456789abcdef";
    private static final String B = "key-b-0123456789abcdef0123456789abcdef";
    private static final Path FILE = Path.of("/etc/moemesh/api-keys");

    private final FakeTicker ticker = new FakeTicker();
    private final ScriptedReader reader = new ScriptedReader();
    private ApiKeyStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void pollingGoesOnAfterAnErrorThrownByOneReloadAndCountsIt() {
        reader.then(A).then(new NoClassDefFoundError("simulated: a class the reload needs is gone")).then(A + "\n" + B);
        store = load(System::nanoTime);

        store.startPolling(Duration.ofMillis(10));

        await().atMost(Duration.ofSeconds(10)).until(() -> accepts(B));
        assertThat(store.reloadFailures()).isEqualTo(1);
        assertThat(reader.reads.get()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void failedReadsAndAContentWithoutKeysAreCountedKeepTheKeysAndAgeTheLastGoodRead() {
        reader.then(A).then(new IOException("simulated: no such file")).then("# no keys\n").then("# no keys\n")
                .then(A + "\n" + B);
        store = load(ticker);
        ticker.advance(Duration.ofSeconds(30));

        store.reload();
        assertThat(store.reloadFailures()).isEqualTo(1);
        assertThat(store.sinceLastGoodRead()).isEqualTo(Duration.ofSeconds(30));

        store.reload();
        ticker.advance(Duration.ofSeconds(10));
        store.reload(); // the same refused content: no new failure, but no good read either
        assertThat(store.reloadFailures()).isEqualTo(2);
        assertThat(store.sinceLastGoodRead()).isEqualTo(Duration.ofSeconds(40));
        assertThat(accepts(A)).isTrue();

        store.reload();
        assertThat(store.sinceLastGoodRead()).isZero();
        assertThat(accepts(B)).isTrue();
        assertThat(store.reloadFailures()).isEqualTo(2);
    }

    @Test
    void anUnchangedFileIsAGoodRead() {
        reader.then(A);
        store = load(ticker);
        ticker.advance(Duration.ofMinutes(5));

        store.reload();

        assertThat(store.sinceLastGoodRead()).isZero();
    }

    /** Rethrown out of the scheduled poll, which is what ends polling: the executor runs no later poll. */
    @Test
    void aVirtualMachineErrorIsCountedAndRethrown() {
        reader.then(A).then(new OutOfMemoryError("simulated"));
        store = load(ticker);

        assertThatThrownBy(store::poll).isInstanceOf(OutOfMemoryError.class);

        assertThat(store.reloadFailures()).isEqualTo(1);
        assertThat(accepts(A)).isTrue();
    }

    @Test
    void failuresAndTheAgeOfTheLastGoodReadAreExportedUnderTheirPrometheusNames() {
        reader.then(A).then(new IOException("simulated"));
        store = load(ticker);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new GatewayMetrics(registry).watch(store);
        ticker.advance(Duration.ofSeconds(12));

        store.reload();

        String scrape = registry.scrape();
        assertThat(scrape).contains("moemesh_gateway_api_keys_reload_failures_total 1.0")
                .contains("moemesh_gateway_api_keys_read_age_seconds 12.0");
    }

    @Test
    void withoutAFileNothingIsExported() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

        new GatewayMetrics(registry).watch(ApiKeyStore.load(List.of(A), null, false));

        assertThat(registry.scrape()).doesNotContain("api_keys");
    }

    private ApiKeyStore load(LongSupplier nanoTime) {
        return ApiKeyStore.load(List.of(), FILE, false, reader, nanoTime);
    }

    private boolean accepts(String key) {
        return store.current().authenticate("Bearer " + key).isPresent();
    }

    /** Answers each read with the next scripted content or failure; the last one repeats. */
    private static final class ScriptedReader implements ApiKeyStore.KeyFileReader {

        final AtomicInteger reads = new AtomicInteger();
        private final ConcurrentLinkedQueue<Object> script = new ConcurrentLinkedQueue<>();

        ScriptedReader then(Object contentOrFailure) {
            script.add(contentOrFailure);
            return this;
        }

        @Override
        public byte[] read(Path file) throws IOException {
            reads.incrementAndGet();
            Object next = script.size() > 1 ? script.poll() : script.peek();
            return switch (next) {
                case String content -> content.getBytes(StandardCharsets.UTF_8);
                case IOException e -> throw e;
                case Error e -> throw e;
                default -> throw new IllegalStateException("nothing scripted");
            };
        }
    }
}
