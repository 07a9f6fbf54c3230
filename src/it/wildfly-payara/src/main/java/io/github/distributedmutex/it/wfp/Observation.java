package io.github.distributedmutex.it.wfp;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one call saw, recorded at the points of interest (endpoint, order probe, locked method,
 * transaction synchronization) and returned to the test as {@code key=value} lines.
 */
public final class Observation {

    private final Map<String, Object> values = new LinkedHashMap<>();

    /** Records a value. */
    public synchronized Observation put(String key, Object value) {
        values.put(key, value);
        return this;
    }

    /** @return a recorded value as text, null when absent */
    public synchronized String get(String key) {
        Object value = values.get(key);
        return value == null ? null : value.toString();
    }

    /** @return the {@code key=value} lines */
    public synchronized String toText() {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return sb.toString();
    }

    /** @return the name of a {@link jakarta.transaction.Status} value */
    public static String status(int status) {
        switch (status) {
            case jakarta.transaction.Status.STATUS_ACTIVE: return "ACTIVE";
            case jakarta.transaction.Status.STATUS_MARKED_ROLLBACK: return "MARKED_ROLLBACK";
            case jakarta.transaction.Status.STATUS_PREPARED: return "PREPARED";
            case jakarta.transaction.Status.STATUS_COMMITTED: return "COMMITTED";
            case jakarta.transaction.Status.STATUS_ROLLEDBACK: return "ROLLEDBACK";
            case jakarta.transaction.Status.STATUS_UNKNOWN: return "UNKNOWN";
            case jakarta.transaction.Status.STATUS_NO_TRANSACTION: return "NO_TRANSACTION";
            case jakarta.transaction.Status.STATUS_PREPARING: return "PREPARING";
            case jakarta.transaction.Status.STATUS_COMMITTING: return "COMMITTING";
            case jakarta.transaction.Status.STATUS_ROLLING_BACK: return "ROLLING_BACK";
            default: return "STATUS_" + status;
        }
    }
}
