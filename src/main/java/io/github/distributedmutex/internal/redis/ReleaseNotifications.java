package io.github.distributedmutex.internal.redis;

import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.api.listener.MessageListener;
import org.redisson.api.listener.StatusListener;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes local waiters when a lock they wait for is released anywhere.
 *
 * <p>A message is a lock's Redis key (wakes one waiter of that key, see below) or, from a fair script,
 * {@code "<redis key>\n<owner>"}: the lock was handed to that owner, or that owner was woken to compete for it,
 * and only that waiter wakes ({@link #wakeOwner}). Key names and owner ids contain no line feed.
 *
 * <p>One pub/sub subscription per adapter, on one channel for all keys (the release script
 * publishes the lock's Redis key there, only when somebody marked the lock as waited for). So
 * the number of subscriptions does not grow with the number of keys or waiters, unlike
 * Redisson's RLock, which subscribes a channel per lock name and can run out of subscriptions.
 *
 * <p>Each message wakes the longest-waiting local waiter of that key that is not already awake
 * (FIFO within a process); a waiter that gives up with an unused wake-up passes it on. Waiting holds no
 * thread: a waiter sleeps on a stage ({@link Waiter#sleep}). When the
 * subscription is (re-)established, for example after Redis restarted, every waiter is woken to
 * re-check, because releases may have been missed meanwhile. Waiter queues exist only while
 * somebody waits.
 */
final class ReleaseNotifications implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReleaseNotifications.class);

    private final RTopic topic;
    private final ConcurrentHashMap<String, Queue<Waiter>> waiters = new ConcurrentHashMap<>();
    private final MessageListener<String> messageListener = (channel, payload) -> received(payload);
    /** Readiness probes published and not received back yet, by payload (see {@link #echo}). */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> probes = new ConcurrentHashMap<>();
    private final StatusListener statusListener = new StatusListener() {
        @Override
        public void onSubscribe(String channel) {
            wakeAll();
        }

        @Override
        public void onUnsubscribe(String channel) {
            // nothing to do: waiters keep their own timeouts
        }
    };
    private final Object subscriptionGuard = new Object();
    private CompletableFuture<Void> subscription;
    private volatile boolean closed;
    private volatile Integer statusListenerId;

    ReleaseNotifications(RedissonClient client, String channel) {
        this.topic = client.getTopic(channel, StringCodec.INSTANCE);
    }

    /**
     * The subscription, started (again) when it does not exist or failed before.
     *
     * @return a future completed once the channel is subscribed
     */
    CompletableFuture<Void> subscription() {
        synchronized (subscriptionGuard) {
            if (subscription == null || subscription.isCompletedExceptionally()) {
                subscription = subscribe();
            }
            return subscription;
        }
    }

    private CompletableFuture<Void> subscribe() {
        CompletableFuture<Void> result;
        try {
            result = topic.addListenerAsync(String.class, messageListener).toCompletableFuture()
                    .thenCompose(id -> topic.addListenerAsync(statusListener).toCompletableFuture())
                    .thenAccept(id -> statusListenerId = id);
        } catch (RuntimeException e) {
            // Redisson may fail synchronously, for example while a lazily initialised client cannot connect
            result = CompletableFuture.failedFuture(e);
        }
        result.whenComplete((ignored, failure) -> {
            if (failure != null && !closed) {
                LOG.debug("Subscription to release notifications failed, retried on the next wait: {}", failure.toString());
                // drop what may have been registered, so a retry does not add the listener twice
                topic.removeListenerAsync(messageListener);
            }
        });
        return result;
    }

    /**
     * Publishes {@code payload} on the release channel (a plain {@code PUBLISH}) and completes once
     * this subscription receives it back: proof that Redis answers and that release notifications
     * reach this adapter. Every adapter on the channel receives it; the payload must never be a lock's
     * Redis key (those wake a waiter), so it contains no {@code '{'}. Cancel the future to give up.
     *
     * @param payload a unique payload
     * @return completes when the payload came back; fails when the {@code PUBLISH} failed. The
     *         {@code PUBLISH} reply itself completes {@code published}
     */
    CompletableFuture<Void> echo(String payload, CompletableFuture<Long> published) {
        CompletableFuture<Void> received = new CompletableFuture<>();
        probes.put(payload, received);
        received.whenComplete((ignored, failure) -> probes.remove(payload));
        try {
            topic.publishAsync(payload).whenComplete((receivers, failure) -> {
                if (failure != null) {
                    published.completeExceptionally(failure);
                    received.completeExceptionally(failure);
                } else {
                    published.complete(receivers);
                }
            });
        } catch (RuntimeException e) {
            published.completeExceptionally(e);
            received.completeExceptionally(e);
        }
        return received;
    }

    private void received(String payload) {
        if (!probes.isEmpty()) {
            CompletableFuture<Void> probe = probes.get(payload);
            if (probe != null) {
                probe.complete(null);
                return;
            }
        }
        int newline = payload.indexOf('\n');
        if (newline >= 0) {
            wakeOwner(payload.substring(0, newline), payload.substring(newline + 1));
        } else {
            wakeOne(payload);
        }
    }

    /**
     * Registers a waiter for a lock. Register BEFORE the acquisition attempt that may fail, so a
     * release between that attempt and the wait is not missed.
     */
    Waiter register(String redisKey, String metricName) {
        return register(redisKey, metricName, null);
    }

    /**
     * {@link #register(String, String)} for a waiter whose attempts use {@code owner}: a targeted message or
     * {@link #wakeOwner} naming that owner wakes it, and only it (fair hand-off: the lock was handed to it, or freed
     * for it to compete).
     */
    Waiter register(String redisKey, String metricName, String owner) {
        Waiter waiter = new Waiter(redisKey, metricName, owner);
        waiters.compute(redisKey, (key, queue) -> {
            Queue<Waiter> result = queue == null ? new ConcurrentLinkedQueue<>() : queue;
            result.add(waiter);
            return result;
        });
        return waiter;
    }

    private void unregister(Waiter waiter) {
        waiters.computeIfPresent(waiter.redisKey, (key, queue) -> {
            queue.remove(waiter);
            return queue.isEmpty() ? null : queue;
        });
        if (waiter.consumeSignal()) {
            // this waiter was woken but leaves without using it: pass the wake-up on
            wakeOne(waiter.redisKey);
        }
    }

    /**
     * A lock was released by this process: wake a local waiter at once, without waiting for the
     * notification's round trip through Redis (waiters in other processes get the notification).
     */
    void releasedLocally(String redisKey) {
        wakeOne(redisKey);
    }

    /**
     * A fair script granted the lock at {@code redisKey} to {@code owner}, or woke it to compete: wakes that waiter
     * if it is one of this process's (from the script's answer, or from the targeted message
     * {@code "<redis key>\n<owner>"}); nobody else is woken. Does nothing when the owner waits elsewhere or left.
     */
    void wakeOwner(String redisKey, String owner) {
        Queue<Waiter> queue = waiters.get(redisKey);
        if (queue == null) {
            return;
        }
        for (Waiter waiter : queue) {
            if (owner.equals(waiter.owner)) {
                waiter.signalIfIdle();
                return;
            }
        }
    }

    private void wakeOne(String redisKey) {
        Queue<Waiter> queue = waiters.get(redisKey);
        if (queue == null) {
            return;
        }
        for (Waiter waiter : queue) {
            if (waiter.signalIfIdle()) {
                return;
            }
        }
    }

    private void wakeAll() {
        waiters.values().forEach(queue -> queue.forEach(Waiter::signalIfIdle));
    }

    /** @return how many local acquisitions wait for the lock at {@code redisKey} right now */
    int waiting(String redisKey) {
        Queue<Waiter> queue = waiters.get(redisKey);
        return queue == null ? 0 : queue.size();
    }

    /** @return how many local acquisitions wait now, by the metric name of the lock they wait for (null names left out) */
    Map<String, Integer> waitingByName() {
        Map<String, Integer> waiting = new HashMap<>();
        for (Queue<Waiter> queue : waiters.values()) {
            for (Waiter waiter : queue) {
                if (waiter.metricName != null) {
                    waiting.merge(waiter.metricName, 1, Integer::sum);
                }
            }
        }
        return waiting;
    }

    /** @return how many keys have local waiters right now (for tests of memory behaviour) */
    int keysWithWaiters() {
        return waiters.size();
    }

    @Override
    public void close() {
        closed = true;
        wakeAll();
        topic.removeListenerAsync(messageListener);
        Integer statusId = statusListenerId;
        if (statusId != null) {
            topic.removeListenerAsync(statusId);
        }
    }

    /**
     * One acquisition waiting for one lock, without a thread: it sleeps on a stage that a release notification, a
     * local release, the adapter's closing or its timeout completes. Closing it unregisters it.
     */
    final class Waiter implements AutoCloseable {
        private final String redisKey;
        private final String metricName;
        /** The owner id of its attempts (named by targeted wake-ups), null when none was given. */
        private volatile String owner;
        /** Woken while awake: the next sleep ends at once. Guarded by {@code this}. */
        private boolean signalled;
        /** The sleep under way, null while awake. Guarded by {@code this}. */
        private CompletableFuture<Void> sleeping;
        /** Set by {@link #interrupt()}: no sleep any more. Guarded by {@code this}. */
        private boolean interrupted;
        /** The timer that ends the sleep under way. Guarded by {@code this}. */
        private Future<?> timer;

        private Waiter(String redisKey, String metricName, String owner) {
            this.redisKey = redisKey;
            this.metricName = metricName;
            this.owner = owner;
        }

        /** The waiter's attempts go on under a new owner id (the last one was given back unanswered). */
        void owner(String newOwner) {
            owner = newOwner;
        }

        /** @return the Redis key of the lock this waiter waits for */
        String redisKey() {
            return redisKey;
        }

        /**
         * Sleeps until woken or until the timeout elapses, whichever is first, and consumes the wake-up. A wake-up
         * that came while the waiter was awake ends the sleep at once.
         *
         * @param timeoutNanos the longest sleep
         * @param timers       the clock that ends it at the timeout
         * @return completes when the sleep ends: on the thread that woke it or on the timer's thread, so its
         *         dependents must not block
         */
        CompletableFuture<Void> sleep(long timeoutNanos, Timers timers) {
            CompletableFuture<Void> sleep;
            synchronized (this) {
                if (signalled || interrupted || closed || timeoutNanos <= 0) {
                    signalled = false;
                    return CompletableFuture.completedFuture(null);
                }
                sleep = new CompletableFuture<>();
                sleeping = sleep;
            }
            Future<?> ending = timers.scheduleEnd(() -> end(sleep), timeoutNanos, TimeUnit.NANOSECONDS);
            synchronized (this) {
                if (sleeping == sleep) {
                    timer = ending;
                } else {
                    ending.cancel(false); // woken meanwhile
                }
            }
            return sleep;
        }

        /** Ends the sleep under way, and every later one at once, without a wake-up (the acquisition was cancelled). */
        void interrupt() {
            CompletableFuture<Void> sleep;
            synchronized (this) {
                interrupted = true;
                sleep = sleeping;
            }
            if (sleep != null) {
                end(sleep);
            }
        }

        /** Ends {@code sleep} when it is still the sleep under way. */
        private void end(CompletableFuture<Void> sleep) {
            synchronized (this) {
                if (sleeping != sleep) {
                    return;
                }
                wake();
            }
            sleep.complete(null);
        }

        private boolean signalIfIdle() {
            CompletableFuture<Void> sleep;
            synchronized (this) {
                if (signalled) {
                    return false;
                }
                sleep = sleeping;
                // a sleeping waiter uses the wake-up as it wakes; an awake one keeps it for its next sleep
                signalled = sleep == null;
                wake();
            }
            if (sleep != null) {
                sleep.complete(null);
            }
            return true;
        }

        /** Ends the sleep under way (the caller completes its stage): its timer goes first, so none is left after. */
        private void wake() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
            sleeping = null;
        }

        private synchronized boolean consumeSignal() {
            boolean was = signalled;
            signalled = false;
            return was;
        }

        @Override
        public void close() {
            unregister(this);
        }
    }
}
