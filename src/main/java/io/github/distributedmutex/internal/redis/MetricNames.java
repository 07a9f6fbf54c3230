package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.internal.key.LockKey;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metric name of a lock call, so that metrics have one series per <em>kind</em> of lock and
 * never one per key ({@code job:{id}} must not create a series per id): the name the call gives
 * ({@link LockOptions#withMetricName}, which {@code @Locked} sets to its key template), else the one
 * the adapter has for it ({@code acquiref}'s format string), else one derived from the key: its
 * text before the first {@code ':'}, the whole key when it has none. Derived names are bounded: past
 * {@link #MAX_DERIVED} distinct ones per adapter, calls are named {@link #OTHER} (WARN once). Asked
 * only when the adapter records metrics.
 */
final class MetricNames {

    /** The most distinct derived names one adapter gives out. */
    static final int MAX_DERIVED = 100;

    /** The name of calls whose derived name would exceed {@link #MAX_DERIVED}. */
    static final String OTHER = "other";

    private static final Logger LOG = LoggerFactory.getLogger(MetricNames.class);

    private final Set<String> derived = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean warned = new AtomicBoolean();

    /**
     * @param key     the lock
     * @param options the call's options
     * @param given   a name the adapter has for the call (a format string), null for none
     * @return the metric name
     */
    String of(LockKey key, LockOptions options, String given) {
        String named = options.metricName().orElse(given);
        if (named != null) {
            return named;
        }
        String name = key.name();
        int colon = name.indexOf(':');
        String prefix = colon < 0 ? name : name.substring(0, colon);
        if (derived.contains(prefix)) {
            return prefix;
        }
        synchronized (derived) {
            if (derived.size() < MAX_DERIVED) {
                derived.add(prefix);
                return prefix;
            }
        }
        if (warned.compareAndSet(false, true)) {
            LOG.warn("distributed-mutex metrics: more than {} distinct lock names derived from keys (text before the first"
                    + " ':'); further locks, such as '{}', are counted under '{}'. Give such calls a name with"
                    + " LockOptions.withMetricName(...), or start their keys with a fixed kind ('export:' + id)",
                    MAX_DERIVED, name, OTHER);
        }
        return OTHER;
    }
}
