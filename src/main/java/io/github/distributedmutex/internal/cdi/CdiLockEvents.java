package io.github.distributedmutex.internal.cdi;

import io.github.distributedmutex.LockEvent;
import io.github.distributedmutex.internal.redis.LockListener;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.inject.spi.BeanContainer;
import jakarta.enterprise.inject.spi.ObserverMethod;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires the adapter's {@link LockEvent}s as asynchronous CDI events ({@code Event.fireAsync}), to
 * {@code @ObservesAsync} observers only.
 *
 * <p>Which of the four event types have asynchronous observers is asked once, when the adapter is
 * created ({@link BeanContainer#resolveObserverMethods}); the adapter never builds an event of a
 * type nobody observes. A container that cannot answer that question gets every event fired.
 *
 * <p>{@code fireAsync} only hands the event to the container's asynchronous-event executor, so the
 * lock call that triggered it is not delayed by the observers; a failure of an observer (the
 * stage completes exceptionally) or of {@code fireAsync} itself (the container is shutting down) is
 * logged at WARN and never reaches the lock call. After {@link #stop()} nothing is fired.
 */
final class CdiLockEvents implements LockListener {

    private static final Logger LOG = LoggerFactory.getLogger(CdiLockEvents.class);

    /** One event of each type, to ask the container for observers; the values do not matter. */
    private static final List<LockEvent> SAMPLES = List.of(
            new LockEvent.Acquired("sample", "sample", 0, Duration.ZERO),
            new LockEvent.Released("sample", "sample", 0, Duration.ZERO),
            new LockEvent.NotAcquired("sample", Duration.ZERO, LockEvent.NotAcquired.Reason.CONTENDED),
            new LockEvent.Lost("sample", "sample", 0, Duration.ZERO));

    private final Event<LockEvent> events;
    private final Set<Class<?>> observed;
    private volatile boolean stopped;

    private CdiLockEvents(Event<LockEvent> events, Set<Class<?>> observed) {
        this.events = events;
        this.observed = Set.copyOf(observed);
    }

    /**
     * @param events the application's {@code Event<LockEvent>}
     * @param beans  the container, asked which event types have asynchronous observers
     * @return a listener that fires the observed types
     */
    static CdiLockEvents create(Event<LockEvent> events, BeanContainer beans) {
        Set<Class<?>> observed = new HashSet<>();
        for (LockEvent sample : SAMPLES) {
            if (hasAsyncObservers(beans, sample)) {
                observed.add(sample.getClass());
            }
        }
        LOG.debug("distributed-mutex fires lock events of the types with @ObservesAsync observers: {}", observed);
        return new CdiLockEvents(events, observed);
    }

    private static boolean hasAsyncObservers(BeanContainer beans, LockEvent sample) {
        try {
            Set<ObserverMethod<? super LockEvent>> observers = beans.resolveObserverMethods(sample);
            return observers.stream().anyMatch(ObserverMethod::isAsync);
        } catch (RuntimeException e) {
            LOG.debug("The container cannot list the observers of {}; distributed-mutex fires those events anyway: {}",
                    sample.getClass().getSimpleName(), e.toString());
            return true;
        }
    }

    @Override
    public boolean wants(Class<? extends LockEvent> type) {
        return observed.contains(type);
    }

    @Override
    public void onEvent(LockEvent event) {
        if (stopped) {
            return;
        }
        CompletionStage<LockEvent> delivered;
        try {
            delivered = events.fireAsync(event);
        } catch (RuntimeException e) {
            LOG.warn("Could not fire {} to its @ObservesAsync observers: {}", event, e.toString());
            return;
        }
        delivered.whenComplete((ignored, failure) -> {
            if (failure != null) {
                LOG.warn("An @ObservesAsync observer of {} failed (the lock call was not affected): {}", event,
                        failure.toString());
                LOG.debug("Observer failure", failure);
            }
        });
    }

    /** From now on nothing is fired (the container is shutting down). */
    void stop() {
        stopped = true;
    }
}
