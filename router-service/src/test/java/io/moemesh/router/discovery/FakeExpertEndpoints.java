package io.moemesh.router.discovery;

import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.router.dispatch.DynamicExpertEndpoints;
import io.moemesh.router.dispatch.ExpertEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The router's endpoints in memory: {@link #reconcile} installs the set it is given, records it, and
 * gives every endpoint a description unless the test says it does not answer Describe.
 */
final class FakeExpertEndpoints implements DynamicExpertEndpoints {

    final List<List<ExpertEndpoint>> reconciles = new CopyOnWriteArrayList<>();
    final Set<String> silent = ConcurrentHashMap.newKeySet(); // ids that do not answer Describe
    private volatile List<ExpertEndpoint> current;
    private final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();

    FakeExpertEndpoints(List<ExpertEndpoint> initial) {
        current = List.copyOf(initial);
    }

    void failNextReconcile(RuntimeException failure) {
        failures.add(failure);
    }

    /** The next {@code times} reconciles throw {@code failure}, as a broken invariant would. */
    void failNextReconciles(int times, Error failure) {
        for (int i = 0; i < times; i++) {
            failures.add(failure);
        }
    }

    @Override
    public State state() {
        return new State(0, current.stream().map(e -> new EndpointState(e, silent.contains(e.id())
                ? Optional.empty() : Optional.of(DescribeResponse.getDefaultInstance()), true)).toList());
    }

    @Override
    public State refresh() {
        return state();
    }

    @Override
    public Change reconcile(List<ExpertEndpoint> endpoints) {
        switch (failures.poll()) {
            case null -> {
            }
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new AssertionError("only unchecked failures can be scripted");
        }
        List<ExpertEndpoint> before = current;
        reconciles.add(List.copyOf(endpoints));
        current = List.copyOf(endpoints);
        List<ExpertEndpoint> added = new ArrayList<>(endpoints);
        added.removeAll(before);
        List<ExpertEndpoint> removed = new ArrayList<>(before);
        removed.removeAll(endpoints);
        return new Change(added, removed, List.of(), state());
    }

    List<ExpertEndpoint> current() {
        return current;
    }
}
