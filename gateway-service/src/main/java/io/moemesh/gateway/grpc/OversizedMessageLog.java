package io.moemesh.gateway.grpc;

import io.grpc.Status;
import io.moemesh.gateway.access.LogBudget;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.logging.Filter;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.slf4j.LoggerFactory;

/**
 * grpc-java's Netty server logs every inbound message over the size limit
 * ({@code moemesh.transport.max-inbound-message-size}, 1 MiB on the gateway) as a WARNING with its
 * stack trace ("Exception processing message", from {@code NettyServerStream}), then refuses the call
 * RESOURCE_EXHAUSTED. On the public port any client can send such messages as fast as it likes and
 * fill the log. Installed as the filter of that logger, this drops those records and logs instead
 * one line without a stack trace, at most {@value #LINES} per {@link #INTERVAL} ({@link LogBudget}),
 * saying how many were left out before it. Every other record of that logger passes as before.
 */
public final class OversizedMessageLog implements Filter {

    /** The logger of grpc-netty-shaded's {@code NettyServerStream} (package-private, so named here). */
    static final String GRPC_LOGGER = "io.grpc.netty.shaded.io.grpc.netty.NettyServerStream";
    static final int LINES = 1;
    static final Duration INTERVAL = Duration.ofMinutes(1);

    /** Held here: java.util.logging keeps loggers weakly, and a collected one would lose its filter. */
    private static final Logger GRPC_LOG = Logger.getLogger(GRPC_LOGGER);
    // java.util.logging's Logger is imported above; SLF4J's shares its name
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(OversizedMessageLog.class);
    private static final String TOO_LARGE = "gRPC message exceeds maximum size";

    private final Filter previous;
    private final LogBudget budget;

    OversizedMessageLog(Filter previous, LogBudget budget) {
        this.previous = previous;
        this.budget = budget;
    }

    /** Filters grpc-java's record of an oversized message from now on, for every server of this JVM; once. */
    public static synchronized void install(LongSupplier nanoTime) {
        Filter current = GRPC_LOG.getFilter();
        if (!(current instanceof OversizedMessageLog)) {
            GRPC_LOG.setFilter(new OversizedMessageLog(current, new LogBudget(LINES, INTERVAL, nanoTime)));
        }
    }

    @Override
    public boolean isLoggable(LogRecord record) {
        Status status = record.getThrown() == null ? null : Status.fromThrowable(record.getThrown());
        if (status == null || status.getCode() != Status.Code.RESOURCE_EXHAUSTED || status.getDescription() == null
                || !status.getDescription().startsWith(TOO_LARGE)) {
            return previous == null || previous.isLoggable(record);
        }
        long leftOut = budget.tryLog();
        if (leftOut >= 0) {
            LOG.warn("refused a request message over the size limit (RESOURCE_EXHAUSTED: {}){}",
                    status.getDescription(), leftOut > 0 ? "; " + leftOut + " such refusals left out of the log "
                            + "before this one" : "");
        }
        return false;
    }
}
