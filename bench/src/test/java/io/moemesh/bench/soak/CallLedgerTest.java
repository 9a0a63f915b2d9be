package io.moemesh.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CallLedgerTest {

    private final AtomicLong now = new AtomicLong();
    private final CallLedger ledger = new CallLedger(now::get);

    @Test
    void aCallEndsOnceEvenWhenItsEndIsReportedTwice() {
        CallLedger.Call call = ledger.start("cancel", "at-once", Duration.ofSeconds(1), Set.of("CANCELLED"));

        ledger.end(call, "CANCELLED", "cancelled by the caller");
        ledger.end(call, "OK", null);

        assertThat(ledger.totals()).containsExactly(java.util.Map.entry("cancel", java.util.Map.of("CANCELLED", 1L)));
        assertThat(ledger.inFlight()).isEmpty();
    }

    @Test
    void anOutcomeItsVariantDidNotExpectIsASurpriseWithItsDetail() {
        CallLedger.Call call = ledger.start("normal", "greedy", Duration.ofSeconds(60), Set.of("OK"));

        ledger.end(call, "INEXACT", "got 3 tokens");

        assertThat(ledger.surpriseCount()).isEqualTo(1);
        assertThat(ledger.surprises().getFirst().detail()).isEqualTo("got 3 tokens");
    }

    @Test
    void onlyNormalCallsThatEndedOkCountForLatency() {
        CallLedger.Call normal = ledger.start(CallLedger.NORMAL, "greedy", Duration.ofSeconds(60), Set.of("OK"));
        CallLedger.Call slow = ledger.start("slow", "reader", Duration.ofSeconds(60), Set.of("OK"));
        now.addAndGet(2_000_000L);
        ledger.end(normal, "OK", null);
        ledger.end(slow, "OK", null);

        assertThat(ledger.drainInterval().normalLatencyNanos()).containsExactly(2_000_000L);
        assertThat(ledger.drainInterval().counts()).isEmpty();
        assertThat(ledger.normalLatencies()).containsExactly(2_000_000L);
    }

    @Test
    void aCallPastItsDeadlineAndTheGraceIsOverdueUntilItEnds() {
        CallLedger.Call call = ledger.start("slow", "never-reads", Duration.ofSeconds(10), Set.of("DEADLINE_EXCEEDED"));
        now.addAndGet(Duration.ofSeconds(39).toNanos());
        assertThat(ledger.overdue(Duration.ofSeconds(30))).isZero();

        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(ledger.overdue(Duration.ofSeconds(30))).isEqualTo(1);

        ledger.end(call, "DEADLINE_EXCEEDED", "deadline");
        assertThat(ledger.overdue(Duration.ofSeconds(30))).isZero();
    }

    @Test
    void reasonsAddUpWhateverTheNumbersAndIdsInThem() {
        for (String id : new String[] {"7d0f6a3e-1c2b-4d5e-8f90-123456789abc", "00000000-0000-0000-0000-000000000001"}) {
            CallLedger.Call call = ledger.start("burst", "no-prompt", Duration.ofSeconds(20), Set.of("RESOURCE_EXHAUSTED"));
            ledger.end(call, "RESOURCE_EXHAUSTED", "request " + id + ": at most 1000 requests");
        }

        assertThat(ledger.reasons()).containsExactly(java.util.Map.entry(
                "burst/no-prompt RESOURCE_EXHAUSTED: request <id>: at most N requests", 2L));
    }
}
