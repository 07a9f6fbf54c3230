package io.github.distributedmutex.internal.cdi;

import io.github.distributedmutex.internal.redis.LockReadiness;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs the readiness check's changes (UP, DOWN, another DOWN reason) with their details, which the
 * health endpoint does not show: each change once, however many concurrent checks see it, and never a
 * result older than the last one seen. The last seen result is replaced by compare-and-set, in the order
 * the checks <em>started</em>: a check that returns after one that started later (and so found a newer
 * state) is left out, so a stale UP never follows a DOWN in the log, nor a stale DOWN an UP.
 */
final class ReadinessTransitions {

    private static final Logger LOG = LoggerFactory.getLogger(AdapterProducer.class);

    /** The last result seen and when its check started; null before the first. */
    private final AtomicReference<Seen> last = new AtomicReference<>();

    /**
     * @param readiness    what a check found
     * @param startedNanos {@link System#nanoTime()} when that check started
     * @return whether it was logged as a change (false too when a check that started later was seen already)
     */
    boolean seen(LockReadiness readiness, long startedNanos) {
        Seen seen = new Seen(readiness, startedNanos);
        while (true) {
            Seen before = last.get();
            if (before != null && startedNanos - before.startedNanos() < 0) {
                return false; // stale: a check that started after this one has reported already
            }
            if (last.compareAndSet(before, seen)) {
                if (!changed(before == null ? null : before.readiness(), readiness)) {
                    return false;
                }
                if (readiness.up()) {
                    LOG.info("distributed-mutex readiness: UP again ({})", readiness.detail());
                } else {
                    LOG.warn("distributed-mutex readiness: DOWN: {}", readiness.detail());
                }
                return true;
            }
        }
    }

    /** The first result is a change only when DOWN; then UP/DOWN flips, and a DOWN with another reason. */
    private static boolean changed(LockReadiness before, LockReadiness now) {
        if (before == null) {
            return !now.up();
        }
        return before.up() != now.up() || !now.up() && !before.reason().equals(now.reason());
    }

    private record Seen(LockReadiness readiness, long startedNanos) {
    }
}
