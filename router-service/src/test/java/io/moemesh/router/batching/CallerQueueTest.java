package io.moemesh.router.batching;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CallerQueueTest {

    private static List<String> pollAll(CallerQueue<String> queue) {
        List<String> order = new ArrayList<>();
        for (String e; (e = queue.poll()) != null; ) {
            order.add(e);
        }
        return order;
    }

    @Test
    void servesCallersRoundRobinAndEachCallerInOrder() {
        CallerQueue<String> queue = new CallerQueue<>(100, 10);
        for (int i = 1; i <= 4; i++) {
            queue.offer("a", "a" + i);
        }
        queue.offer("b", "b1");
        queue.offer("c", "c1");
        queue.offer("c", "c2");

        assertThat(pollAll(queue)).containsExactly("a1", "b1", "c1", "a2", "c2", "a3", "a4");
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void aCallerThatArrivesLateWaitsAtMostOneTurnOfTheBusyOne() {
        CallerQueue<String> queue = new CallerQueue<>(100, 32);
        for (int i = 1; i <= 32; i++) {
            queue.offer("busy", "busy" + i);
        }
        assertThat(queue.poll()).isEqualTo("busy1");
        queue.offer("late", "late1");

        assertThat(queue.peek()).isEqualTo("busy2");
        assertThat(queue.poll()).isEqualTo("busy2");
        assertThat(queue.peek()).isEqualTo("late1");
        assertThat(queue.poll()).isEqualTo("late1");
        assertThat(queue.size()).isEqualTo(30);
    }

    @Test
    void refusesACallerPastItsShareButNotTheOthers() {
        CallerQueue<String> queue = new CallerQueue<>(100, 2);

        assertThat(queue.offer("a", "a1")).isEqualTo(CallerQueue.Offer.ACCEPTED);
        assertThat(queue.offer("a", "a2")).isEqualTo(CallerQueue.Offer.ACCEPTED);
        assertThat(queue.offer("a", "a3")).isEqualTo(CallerQueue.Offer.CALLER_FULL);
        assertThat(queue.offer("b", "b1")).isEqualTo(CallerQueue.Offer.ACCEPTED);
        queue.poll(); // a1 leaves: a has room again
        assertThat(queue.offer("a", "a3")).isEqualTo(CallerQueue.Offer.ACCEPTED);
        assertThat(queue.size()).isEqualTo(3);
    }

    @Test
    void theWholeQueueStaysBounded() {
        CallerQueue<String> queue = new CallerQueue<>(3, 2);
        queue.offer("a", "a1");
        queue.offer("b", "b1");
        queue.offer("c", "c1");

        assertThat(queue.offer("d", "d1")).isEqualTo(CallerQueue.Offer.QUEUE_FULL);
        assertThat(queue.drain()).containsExactly("a1", "b1", "c1");
        assertThat(queue.size()).isZero();
    }

    @Test
    void aWaitingPollReturnsWhatIsOfferedAndAnEmptyOneTimesOut() throws Exception {
        CallerQueue<String> queue = new CallerQueue<>(3, 2);
        assertThat(queue.awaitNotEmpty(1, TimeUnit.MILLISECONDS) ? queue.poll() : null).isNull();

        CompletableFuture<String> polled = CompletableFuture.supplyAsync(() -> {
            try {
                return queue.awaitNotEmpty(10, TimeUnit.SECONDS) ? queue.poll() : null;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        queue.offer("a", "a1");

        assertThat(polled.get(10, TimeUnit.SECONDS)).isEqualTo("a1");
    }

    @Test
    void theCallerHoldingLeastGoesFirstAndEqualsTakeTurns() {
        CallerQueue<String> queue = new CallerQueue<>(100, 10);
        queue.offer("a", "a1");
        queue.offer("a", "a2");
        queue.offer("b", "b1");
        queue.offer("c", "c1");
        Map<String, Long> held = Map.of("a", 100L, "b", 0L, "c", 0L);

        CallerQueue.Head<String> head = queue.peek(caller -> held.getOrDefault(caller, 0L));
        assertThat(head).isEqualTo(new CallerQueue.Head<>("b", "b1"));
        assertThat(queue.poll(head.caller())).isEqualTo("b1");
        assertThat(queue.peek(caller -> held.getOrDefault(caller, 0L)).element()).isEqualTo("c1");
        assertThat(queue.peek(caller -> 0L).element()).isEqualTo("a1"); // unweighted: plain turn order
        assertThat(queue.poll("a")).isEqualTo("a1");
        assertThat(pollAll(queue)).containsExactly("c1", "a2"); // a, just served, went to the back
    }

    @Test
    void removesWhatLeavesWhereverItWaitsAndKeepsTheOthersTurns() {
        CallerQueue<String> queue = new CallerQueue<>(100, 10);
        queue.offer("a", "a1");
        queue.offer("a", "a2-gone");
        queue.offer("b", "b1-gone");
        queue.offer("c", "c1");

        assertThat(queue.removeIf(e -> e.endsWith("gone"))).containsExactly("a2-gone", "b1-gone");
        assertThat(queue.size()).isEqualTo(2);
        assertThat(pollAll(queue)).containsExactly("a1", "c1");
        assertThat(queue.offer("b", "b2")).isEqualTo(CallerQueue.Offer.ACCEPTED);
        assertThat(queue.poll()).isEqualTo("b2");
    }

    @Test
    void closesOnlyWhenEmptyAndThenRefusesEveryOffer() {
        CallerQueue<String> queue = new CallerQueue<>(100, 10);
        queue.offer("a", "a1");

        assertThat(queue.closeIfEmpty()).isFalse(); // a1 still needs its consumer
        assertThat(queue.offer("b", "b1")).isEqualTo(CallerQueue.Offer.ACCEPTED);
        assertThat(queue.closeAndDrain()).containsExactly("a1", "b1");
        assertThat(queue.offer("c", "c1")).isEqualTo(CallerQueue.Offer.CLOSED);
        assertThat(queue.closeIfEmpty()).isTrue();
        assertThat(queue.isEmpty()).isTrue();
    }
}
