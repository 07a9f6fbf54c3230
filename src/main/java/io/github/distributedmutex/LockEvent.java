package io.github.distributedmutex;

import java.time.Duration;
import java.util.Objects;

/**
 * What happened to a lock in this application instance, for monitoring, audit logs and alerts:
 * acquired, released, not acquired, or lost. Fired by the CDI-produced {@link Adapter} as
 * asynchronous CDI events; observe them with {@code @ObservesAsync}:
 *
 * <pre>{@code
 * @ApplicationScoped
 * public class LockAudit {
 *     void onLost(@ObservesAsync LockEvent.Lost lost) {
 *         alerts.raise("lock " + lost.key() + " lost after " + lost.held());
 *     }
 *
 *     void onAny(@ObservesAsync LockEvent event) {   // Acquired, Released, NotAcquired or Lost
 *         audit.record(event);
 *     }
 * }
 * }</pre>
 *
 * <p><b>Never delays a lock call.</b> An event is handed to the container's {@code fireAsync}
 * after the lock's state changed, on the thread that learned of the change (a caller's thread, or
 * one of the library's or Redisson's threads), outside every lock of the library; observers run
 * later on the container's asynchronous-event threads. An observer that is slow, blocks or
 * throws delays or fails no lock call (exceptions are logged at WARN); it can only delay other
 * observers' events. Synchronous {@code @Observes} observers are not notified.
 *
 * <p><b>Free when nobody listens.</b> When the application starts, the library asks the container
 * which event types have asynchronous observers; types that have none are never built or fired.
 *
 * <p><b>What fires.</b> One event per change, in this instance only (other instances fire their
 * own): {@link Acquired} when an acquisition is granted by Redis (re-entering a lock the thread
 * already holds fires nothing); {@link Released} when Redis confirmed a release; {@link NotAcquired}
 * when an acquisition ends without the lock; {@link Lost} once per lease, when the library learns
 * that the lease was gone while this instance still believed it held it. A release whose answer
 * never came fires neither {@code Released} nor {@code Lost} (the ERROR log says so), and neither
 * do locks left to expire at shutdown; no events are fired once the container shuts down. Order
 * is not guaranteed between events, not even of one key.
 *
 * <p>Events are fired only by the {@code Adapter} the library's CDI producer makes.
 */
public sealed interface LockEvent {

    /** @return the lock key as the application gave it (without the configured prefix) */
    String key();

    /**
     * Redis granted the lock to this instance and the caller got it (the blocking call returned it, or the stage of
     * an asynchronous call completed with it). A grant given back before that (a cancelled stage, an interrupted
     * caller, a set of keys that failed on a later key) is reported as {@link NotAcquired} only. A set of keys
     * reports one event per key.
     *
     * @param key          the lock key
     * @param owner        the new holder's owner id (see {@link LockInfo})
     * @param fencingToken the new holder's fencing token
     * @param waited       how long the acquisition took, from the call until every key of the call was held
     */
    record Acquired(String key, String owner, long fencingToken, Duration waited) implements LockEvent {
        /** @throws NullPointerException when a reference component is null */
        public Acquired {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(waited, "waited");
        }
    }

    /**
     * Redis confirmed the release of a lock this instance held. A release before the lock's
     * {@linkplain LockOptions#withHoldAtLeast(Duration) minimum hold} counts too: the holder no
     * longer holds it, though the lock stays taken until the minimum hold ends.
     *
     * @param key          the lock key
     * @param owner        the releasing holder's owner id
     * @param fencingToken the releasing holder's fencing token
     * @param held         how long it was held, from the granting attempt to the release
     */
    record Released(String key, String owner, long fencingToken, Duration held) implements LockEvent {
        /** @throws NullPointerException when a reference component is null */
        public Released {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(held, "held");
        }
    }

    /**
     * An acquisition ended without the lock: {@code tryLock} / {@code tryAcquire} returned empty or
     * {@code false} (a {@code @Locked(onContention = SKIP)} method was skipped), or the call threw
     * {@link LockNotAcquiredException} or {@link LockUnavailableException}.
     *
     * @param key    the lock key
     * @param waited how long the acquisition tried
     * @param reason why it ended without the lock
     */
    record NotAcquired(String key, Duration waited, Reason reason) implements LockEvent {
        /** @throws NullPointerException when a component is null */
        public NotAcquired {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(waited, "waited");
            Objects.requireNonNull(reason, "reason");
        }

        /** Why an acquisition ended without the lock. */
        public enum Reason {
            /**
             * Somebody else held the lock for the whole wait; for a set of keys, also when the key of the event
             * ran out while the rest of the set was waited for and the wait ended before the set could be taken
             * again.
             */
            CONTENDED,
            /** The waiting thread was interrupted ({@link LockNotAcquiredException}). */
            INTERRUPTED,
            /** Redis could not answer ({@link LockUnavailableException}). */
            UNAVAILABLE,
            /**
             * The stage of an asynchronous acquisition ({@link Adapter#lockAsync}, {@link Adapter#tryLockAsync} and
             * their several-key forms) was cancelled, or completed from outside, before the lock was handed out.
             */
            CANCELLED
        }
    }

    /**
     * The library learned that a lease this instance held was gone before it was released: it had
     * expired, or another owner held the lock by then. Found by the watchdog's renewal,
     * {@link Lease#extend(Duration)}, {@link Lease#isHeld()}, or the release itself. Mutual
     * exclusion may have been broken for this key; this is what fencing tokens are for. Fired at
     * most once per lease.
     *
     * @param key          the lock key
     * @param owner        the owner id of the lease that was lost
     * @param fencingToken the lost lease's fencing token
     * @param held         how long after its acquisition the loss was found
     */
    record Lost(String key, String owner, long fencingToken, Duration held) implements LockEvent {
        /** @throws NullPointerException when a reference component is null */
        public Lost {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(held, "held");
        }
    }
}
