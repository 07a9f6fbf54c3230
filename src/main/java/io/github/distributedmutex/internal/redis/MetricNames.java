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
 * never one per key ({@code job:{id}} must not create a series per id, and a key, which may hold
 * personal data such as an e-mail address, never becomes a label value): the name the call gives
 * ({@link LockOptions#withMetricName}, which {@code @Locked} sets to its key template), else the one
 * the adapter has for it ({@code acquiref}'s format string), else one derived from the key: its text
 * before the first {@code ':'}, and {@link #UNNAMED} for a key without one. Every name counts: past
 * {@link #MAX_NAMES} distinct names per adapter (given and derived alike), calls under a new name are
 * named {@link #OTHER} (WARN once). Asked only when the adapter records metrics.
 */
final class MetricNames {

    /** The most distinct names one adapter gives out, besides {@link #OTHER}. */
    static final int MAX_NAMES = 100;

    /** The name of calls whose name would exceed {@link #MAX_NAMES}. */
    static final String OTHER = "other";

    /** The name of calls without a given name whose key has no {@code ':'}: such a key may be anything. */
    static final String UNNAMED = "unnamed";

    private static final Logger LOG = LoggerFactory.getLogger(MetricNames.class);

    private final Set<String> names = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean warned = new AtomicBoolean();

    /**
     * @param key     the lock
     * @param options the call's options
     * @param given   a name the adapter has for the call (a format string), null for none
     * @return the metric name
     */
    String of(LockKey key, LockOptions options, String given) {
        String named = options.metricName().orElse(given);
        String name = named != null ? named : derived(key.name());
        if (names.contains(name)) {
            return name;
        }
        synchronized (names) {
            if (names.size() < MAX_NAMES) {
                names.add(name);
                return name;
            }
        }
        if (warned.compareAndSet(false, true)) {
            LOG.warn("distributed-mutex metrics: more than {} distinct lock names; further ones, such as '{}', are"
                    + " counted under '{}'. Name calls by their kind: LockOptions.withMetricName(...) with a fixed"
                    + " name, or keys that start with a fixed kind ('export:' + id)", MAX_NAMES, name, OTHER);
        }
        return OTHER;
    }

    /** @return the key's text before the first {@code ':'}, {@link #UNNAMED} when it has none */
    private static String derived(String key) {
        int colon = key.indexOf(':');
        return colon < 0 ? UNNAMED : key.substring(0, colon);
    }
}
