package io.moemesh.gateway.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.Status;
import io.moemesh.gateway.FakeTicker;
import io.moemesh.gateway.access.LogBudget;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The filter alone, on records shaped as grpc-java's Netty server writes them, on a test clock. */
class OversizedMessageLogTest {

    private final FakeTicker ticker = new FakeTicker();
    private final OversizedMessageLog filter = new OversizedMessageLog(null,
            new LogBudget(OversizedMessageLog.LINES, OversizedMessageLog.INTERVAL, ticker));
    private final Logger log = (Logger) LoggerFactory.getLogger(OversizedMessageLog.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    OversizedMessageLogTest() {
        logged.start();
        log.addAppender(logged);
    }

    @AfterEach
    void detach() {
        log.detachAppender(logged);
    }

    @Test
    void dropsEveryOversizedRecordAndLogsOneLineAMinuteWithoutAStackTrace() {
        for (int i = 0; i < 5; i++) {
            assertThat(filter.isLoggable(oversized())).isFalse();
        }
        assertThat(logged.list).singleElement().satisfies(line -> {
            assertThat(line.getFormattedMessage()).isEqualTo("refused a request message over the size limit "
                    + "(RESOURCE_EXHAUSTED: gRPC message exceeds maximum size 1048576: 2097157)");
            assertThat(line.getThrowableProxy()).isNull();
        });

        ticker.advance(Duration.ofMinutes(1));
        assertThat(filter.isLoggable(oversized())).isFalse();

        assertThat(logged.list).hasSize(2);
        assertThat(logged.list.getLast().getFormattedMessage()).endsWith("; 4 such refusals left out of the log before "
                + "this one");
    }

    @Test
    void otherRecordsOfTheLoggerPass() {
        LogRecord other = new LogRecord(Level.WARNING, "Exception processing message");
        other.setThrown(Status.INTERNAL.withDescription("something else").asRuntimeException());

        assertThat(filter.isLoggable(other)).isTrue();
        assertThat(filter.isLoggable(new LogRecord(Level.FINE, "no exception"))).isTrue();
        assertThat(logged.list).isEmpty();
    }

    @Test
    void aFilterThatWasThereKeepsDecidingForOtherRecords() {
        OversizedMessageLog chained = new OversizedMessageLog(record -> false,
                new LogBudget(1, Duration.ofMinutes(1), ticker));

        assertThat(chained.isLoggable(new LogRecord(Level.WARNING, "anything"))).isFalse();
    }

    private static LogRecord oversized() {
        LogRecord record = new LogRecord(Level.WARNING, "Exception processing message");
        record.setThrown(Status.RESOURCE_EXHAUSTED.withDescription("gRPC message exceeds maximum size 1048576: 2097157")
                .asRuntimeException());
        return record;
    }
}
