package io.github.distributedmutex.internal.redis;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Owner ids, the value of a lock's {@code owner} field: {@code <instance name>#<adapter>:<sequence>},
 * for example {@code 12345@web-1#3f9a0c1b2d4e5f60:17}. The instance name is
 * {@code distributedmutex.instance-name}; the adapter part is 16 random hex digits drawn once per
 * adapter, so two adapters never share owner ids even when they share an instance name (two
 * adapters in one JVM, or two instances configured with the same name); the sequence counts the
 * adapter's acquisitions. Every acquisition attempt that may have gone unanswered is given back
 * under its owner id and the next one uses a new id ({@link AcquisitionLoop}), so owner ids must
 * never repeat: the random part and the sequence see to it.
 *
 * <p><b>Parsing.</b> The instance name may contain any character but whitespace and control
 * characters, {@code '#'} and {@code ':'} included, so an owner id is read from the right: the
 * sequence is the digits after the last {@code ':'}, the 16 hex digits and the {@code '#'} before
 * that are the adapter part, and everything before is the instance name. No escaping is needed,
 * and nothing after the sequence is ever a digit, so the suffix
 * {@value RedisLockStore#RELEASED_SUFFIX} that a release before the minimum hold appends can be
 * recognised and removed first.
 */
final class OwnerId {

    /** Between the instance name and the adapter part. */
    static final char INSTANCE_SEPARATOR = '#';

    private static final int ADAPTER_DIGITS = 16;

    private OwnerId() {
    }

    /**
     * @param instanceName a valid instance name
     * @return the start of every owner id of a new adapter: {@code <instance name>#<16 random hex digits>}
     */
    static String newAdapterPart(String instanceName) {
        return instanceName + INSTANCE_SEPARATOR + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    /**
     * @param adapterPart what {@link #newAdapterPart(String)} returned
     * @param sequence    the adapter's acquisition counter
     * @return an owner id
     */
    static String of(String adapterPart, long sequence) {
        return adapterPart + ":" + sequence;
    }

    /**
     * @param owner an owner id (without {@value RedisLockStore#RELEASED_SUFFIX})
     * @return the instance name in it, or {@code ""} when it is not in this format (for example an
     *         owner written by an older version of the library)
     */
    static String instanceOf(String owner) {
        int colon = owner.lastIndexOf(':');
        if (colon < 0 || colon == owner.length() - 1 || !isDigits(owner, colon + 1, owner.length())) {
            return "";
        }
        int separator = colon - ADAPTER_DIGITS - 1;
        if (separator < 1 || owner.charAt(separator) != INSTANCE_SEPARATOR
                || !isHexDigits(owner, separator + 1, colon)) {
            return "";
        }
        return owner.substring(0, separator);
    }

    private static boolean isDigits(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static boolean isHexDigits(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }
}
