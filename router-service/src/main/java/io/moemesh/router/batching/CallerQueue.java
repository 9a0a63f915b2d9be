package io.moemesh.router.batching;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * The admission queue: one FIFO per caller, served round-robin (each caller with work waiting gets
 * one request admitted per turn), with a bound on the whole queue and one per caller. One caller
 * sending as fast as it can therefore fills at most its own share, and every other caller's next
 * request is at most one turn away, however many requests the busy one has waiting.
 *
 * <p>The scheduler weighs the turns by what each caller already holds ({@link #peek(ToLongFunction)}):
 * the caller holding least goes first, round-robin among equals, so a caller whose running requests
 * hold the KV cache budget does not get the next bytes that free up ahead of a caller holding none.
 *
 * <p>Thread-safe; many producers, one consumer (the scheduler thread: {@link #peek} then
 * {@link #poll} returns the same element, because producers only append).
 */
final class CallerQueue<T> {

    /** What {@link #offer} did. */
    enum Offer {
        ACCEPTED, QUEUE_FULL, CALLER_FULL,
        /** The consumer has gone ({@link #closeIfEmpty}, {@link #closeAndDrain}): nobody would take the element. */
        CLOSED
    }

    private final int capacity;
    private final int perCaller;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Map<String, ArrayDeque<T>> waiting = new HashMap<>(); // only callers with work waiting
    private final ArrayDeque<String> turns = new ArrayDeque<>();        // those callers, the next one first
    private int size;
    private boolean closed;

    CallerQueue(int capacity, int perCaller) {
        this.capacity = capacity;
        this.perCaller = perCaller;
    }

    Offer offer(String caller, T element) {
        lock.lock();
        try {
            if (closed) {
                return Offer.CLOSED;
            }
            if (size >= capacity) {
                return Offer.QUEUE_FULL;
            }
            ArrayDeque<T> own = waiting.get(caller);
            if (own == null) {
                own = new ArrayDeque<>();
                waiting.put(caller, own);
                turns.addLast(caller); // a new caller waits for at most one turn of every other
            } else if (own.size() >= perCaller) {
                return Offer.CALLER_FULL;
            }
            own.addLast(element);
            size++;
            notEmpty.signal();
            return Offer.ACCEPTED;
        } finally {
            lock.unlock();
        }
    }

    /** The element whose turn it is, left in the queue; null when empty. */
    T peek() {
        lock.lock();
        try {
            String next = turns.peekFirst();
            return next == null ? null : waiting.get(next).peekFirst();
        } finally {
            lock.unlock();
        }
    }

    /** The first element of a caller's FIFO, and that caller. */
    record Head<T>(String caller, T element) {
    }

    /**
     * The first element of the waiting caller that {@code held} weighs least, the earliest in turn
     * order among equals; left in the queue. Null when empty.
     */
    Head<T> peek(ToLongFunction<String> held) {
        lock.lock();
        try {
            String chosen = null;
            long least = Long.MAX_VALUE;
            for (String caller : turns) {
                long weight = held.applyAsLong(caller);
                if (chosen == null || weight < least) {
                    chosen = caller;
                    least = weight;
                }
            }
            return chosen == null ? null : new Head<>(chosen, waiting.get(chosen).peekFirst());
        } finally {
            lock.unlock();
        }
    }

    /** Removes {@code caller}'s first element (the one {@link #peek(ToLongFunction)} showed); the caller's next turn comes after every other's. */
    T poll(String caller) {
        lock.lock();
        try {
            ArrayDeque<T> own = waiting.get(caller);
            if (own == null) {
                return null;
            }
            turns.remove(caller);
            T element = own.pollFirst();
            size--;
            if (own.isEmpty()) {
                waiting.remove(caller);
            } else {
                turns.addLast(caller);
            }
            return element;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes every element that {@code leaving} accepts (clients that left, requests that waited too
     * long), wherever it waits, keeping the others' order and turns.
     */
    List<T> removeIf(Predicate<? super T> leaving) {
        lock.lock();
        try {
            List<T> removed = new ArrayList<>();
            for (Iterator<String> callers = turns.iterator(); callers.hasNext(); ) {
                String caller = callers.next();
                ArrayDeque<T> own = waiting.get(caller);
                for (Iterator<T> elements = own.iterator(); elements.hasNext(); ) {
                    T element = elements.next();
                    if (leaving.test(element)) {
                        elements.remove();
                        removed.add(element);
                        size--;
                    }
                }
                if (own.isEmpty()) {
                    waiting.remove(caller);
                    callers.remove();
                }
            }
            return removed;
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to {@code timeout} for an element; whether there is one. */
    boolean awaitNotEmpty(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lockInterruptibly();
        try {
            while (size == 0) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = notEmpty.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Removes the element whose turn it is and passes the turn to the next caller; null when empty. */
    T poll() {
        lock.lock();
        try {
            String caller = turns.pollFirst();
            if (caller == null) {
                return null;
            }
            ArrayDeque<T> own = waiting.get(caller);
            T element = own.pollFirst();
            size--;
            if (own.isEmpty()) {
                waiting.remove(caller);
            } else {
                turns.addLast(caller);
            }
            return element;
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    boolean isEmpty() {
        return size() == 0;
    }

    /**
     * Closes the queue if nothing waits in it, atomically with respect to {@link #offer}: after it
     * returns true every offer is {@link Offer#CLOSED}, so the consumer may stop without leaving an
     * element behind. False when something waits: the consumer must take it first.
     */
    boolean closeIfEmpty() {
        lock.lock();
        try {
            if (size > 0) {
                return false;
            }
            closed = true;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Closes the queue (every later offer is {@link Offer#CLOSED}) and removes every element, in turn order. */
    List<T> closeAndDrain() {
        lock.lock();
        try {
            closed = true;
            return drain();
        } finally {
            lock.unlock();
        }
    }

    /** Removes every element, in turn order. */
    List<T> drain() {
        lock.lock();
        try {
            List<T> all = new ArrayList<>(size);
            for (T e; (e = poll()) != null; ) {
                all.add(e);
            }
            return all;
        } finally {
            lock.unlock();
        }
    }
}
