package io.github.distributedmutex.it.quarkus;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What happened to the runs of {@link ReactiveJobs#hold}, by run id: whether each was subscribed on a Vert.x event
 * loop, whether its method body ran and its {@code Uni} was cancelled, how many runs of a lock name were inside at
 * the same time; and the gate each run's {@code Uni} waits for, which the test opens.
 */
@ApplicationScoped
public class ReactiveRuns {

    private final Map<String, CompletableFuture<String>> gates = new ConcurrentHashMap<>();
    private final Map<String, Boolean> subscribedOnEventLoop = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> entries = new ConcurrentHashMap<>();
    private final Set<String> cancelled = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> inside = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> mostInside = new ConcurrentHashMap<>();
    private final Map<String, Boolean> bodyOnDuplicatedContext = new ConcurrentHashMap<>();
    private final Map<String, String> bodyRequestTag = new ConcurrentHashMap<>();

    /** @return the gate of run {@code run}: its {@code Uni} emits what the gate is completed with */
    public CompletableFuture<String> gate(String run) {
        return gates.computeIfAbsent(run, id -> new CompletableFuture<>());
    }

    void subscribed(String run, boolean onEventLoop) {
        subscribedOnEventLoop.put(run, onEventLoop);
    }

    void enter(String name, String run) {
        entries.computeIfAbsent(run, id -> new AtomicInteger()).incrementAndGet();
        int now = inside.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
        mostInside.computeIfAbsent(name, n -> new AtomicInteger()).accumulateAndGet(now, Math::max);
    }

    void bodyRan(String run, boolean onDuplicatedContext, String requestTag) {
        bodyOnDuplicatedContext.put(run, onDuplicatedContext);
        bodyRequestTag.put(run, requestTag == null ? "null" : requestTag);
    }

    /** @return whether the method body of the run ran on a Vert.x duplicated context; null when it did not run */
    public Boolean bodyOnDuplicatedContext(String run) {
        return bodyOnDuplicatedContext.get(run);
    }

    /** @return the request-scoped tag the method body of the run read; null when it did not run */
    public String bodyRequestTag(String run) {
        return bodyRequestTag.get(run);
    }

    void leave(String name) {
        inside.get(name).decrementAndGet();
    }

    void markCancelled(String run) {
        cancelled.add(run);
    }

    /** @return whether the run was subscribed on a Vert.x event loop thread; null when not subscribed yet */
    public Boolean subscribedOnEventLoop(String run) {
        return subscribedOnEventLoop.get(run);
    }

    /** @return whether the method body of the run ran */
    public boolean entered(String run) {
        return entries(run) > 0;
    }

    /** @return how often the method body of the run ran */
    public int entries(String run) {
        AtomicInteger count = entries.get(run);
        return count == null ? 0 : count.get();
    }

    /** @return whether the {@code Uni} of the run was cancelled */
    public boolean cancelled(String run) {
        return cancelled.contains(run);
    }

    /** @return the most runs of lock name {@code name} that were inside at the same time */
    public int mostInside(String name) {
        AtomicInteger most = mostInside.get(name);
        return most == null ? 0 : most.get();
    }
}
