package io.moemesh.router.discovery.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.moemesh.router.discovery.ExpertDiscovery;
import io.moemesh.router.dispatch.ExpertEndpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reports from a real file that the test rewrites as {@code moe up} and the controller do (temp + rename). */
class FileExpertDiscoveryTest {

    private static final Duration POLL = Duration.ofMillis(20);
    private static final ExpertEndpoint A = endpoint("127.0.0.1:50060");
    private static final ExpertEndpoint B = endpoint("127.0.0.1:50061");
    private static final ExpertEndpoint C = endpoint("127.0.0.1:50062");

    @TempDir
    Path dir;

    private final List<List<ExpertEndpoint>> reports = new CopyOnWriteArrayList<>();
    private ExpertDiscovery.Subscription subscription;

    @AfterEach
    void close() {
        if (subscription != null) {
            subscription.close();
        }
    }

    private static ExpertEndpoint endpoint(String target) {
        return new ExpertEndpoint(target, target);
    }

    private Path file() {
        return dir.resolve("expert-endpoints");
    }

    private void write(String content) throws Exception {
        Path tmp = dir.resolve("expert-endpoints.tmp");
        Files.writeString(tmp, content);
        Files.move(tmp, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void subscribe() {
        subscription = new FileExpertDiscovery(file(), POLL).subscribe(reports::add);
    }

    private void awaitLastReport(List<ExpertEndpoint> expected) {
        await().atMost(Duration.ofSeconds(10)).until(() -> !reports.isEmpty() && reports.getLast().equals(expected));
    }

    @Test
    void reportsTheCompleteSetAtSubscription() throws Exception {
        write("# two experts\n127.0.0.1:50060\n127.0.0.1:50061\n");

        subscribe();

        awaitLastReport(List.of(A, B));
        assertThat(reports).hasSize(1);
    }

    @Test
    void reportsTheWholeNewSetWhenTheContentChanges() throws Exception {
        write("127.0.0.1:50060\n");
        subscribe();
        awaitLastReport(List.of(A));

        write("127.0.0.1:50060\n127.0.0.1:50062\n");
        awaitLastReport(List.of(A, C));
        write("127.0.0.1:50062\n");
        awaitLastReport(List.of(C));

        assertThat(reports).containsExactly(List.of(A), List.of(A, C), List.of(C));
    }

    @Test
    void seesAChangeThatKeepsTheModificationTimeBecauseItComparesContent() throws Exception {
        write("127.0.0.1:50060\n");
        FileTime mtime = Files.getLastModifiedTime(file());
        subscribe();
        awaitLastReport(List.of(A));

        write("127.0.0.1:50061\n");
        Files.setLastModifiedTime(file(), mtime);

        awaitLastReport(List.of(B));
    }

    @Test
    void doesNotReportAgainWhenOnlyCommentsChange() throws Exception {
        write("127.0.0.1:50060\n");
        subscribe();
        awaitLastReport(List.of(A));

        write("# rewritten by the controller\n127.0.0.1:50060\n");
        write("# rewritten by the controller\n127.0.0.1:50060\n127.0.0.1:50061\n"); // a marker change after it

        awaitLastReport(List.of(A, B));
        assertThat(reports).containsExactly(List.of(A), List.of(A, B));
    }

    @Test
    void aMalformedLineKeepsTheLastGoodSetUntilTheFileIsFixed() throws Exception {
        write("127.0.0.1:50060\n");
        subscribe();
        awaitLastReport(List.of(A));

        write("127.0.0.1:50060\nnot-an-endpoint\n");
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> reports.size() == 1);
        write("127.0.0.1:50061\n");

        awaitLastReport(List.of(B));
        assertThat(reports).containsExactly(List.of(A), List.of(B));
    }

    @Test
    void aFileThatDisappearsKeepsTheLastGoodSet() throws Exception {
        write("127.0.0.1:50060\n");
        subscribe();
        awaitLastReport(List.of(A));

        Files.delete(file());

        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> reports.size() == 1);
        write("127.0.0.1:50060\n127.0.0.1:50061\n");
        awaitLastReport(List.of(A, B));
    }

    @Test
    void aMissingFileAtStartUpIsAnErrorNamingIt() {
        assertThatThrownBy(this::subscribe)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot read the experts file " + file().toAbsolutePath())
                .hasMessageContaining("NoSuchFileException");
    }

    @Test
    void aMalformedFileAtStartUpIsAnErrorNamingItAndTheLine() throws Exception {
        write("127.0.0.1:50060\n\n127.0.0.1\n");

        assertThatThrownBy(this::subscribe)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the experts file " + file().toAbsolutePath())
                .hasMessageContaining("line 3: '127.0.0.1' is not host:port");
    }

    @Test
    void aListenerThatFailsGetsTheSetAgainAtTheNextPoll() throws Exception {
        write("127.0.0.1:50060\n");
        AtomicInteger calls = new AtomicInteger();
        subscription = new FileExpertDiscovery(file(), POLL).subscribe(endpoints -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("router busy");
            }
            reports.add(endpoints);
        });

        awaitLastReport(List.of(A));
        assertThat(calls).hasValue(2);
    }

    @Test
    void closeStopsPolling() throws Exception {
        write("127.0.0.1:50060\n");
        subscribe();
        awaitLastReport(List.of(A));

        subscription.close();
        write("127.0.0.1:50061\n");

        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> reports.size() == 1);
        assertThat(reports).containsExactly(List.of(A));
    }

    @Test
    void refusesAPollIntervalThatIsNotPositive() {
        assertThatThrownBy(() -> new FileExpertDiscovery(file(), Duration.ZERO))
                .hasMessageContaining("poll interval must be positive");
    }
}
