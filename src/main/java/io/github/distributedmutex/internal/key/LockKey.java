package io.github.distributedmutex.internal.key;

import io.github.distributedmutex.Adapter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;

/**
 * A validated lock key and every Redis name derived from it: the one owner of the library's Redis
 * layout, used by the store, the adapter and the tests.
 * <ul>
 *     <li>{@link #redisKey()}: the hash that holds the lock (fields {@code owner}, {@code token},
 *     {@code waiters}; its TTL is the lease);</li>
 *     <li>{@link #abandonedMarker(String)}: the short-lived marker that refuses an abandoned
 *     acquisition attempt of one owner if it is delivered late;</li>
 *     <li>{@link #queue()} and {@link #queueExpiry()}: with fair hand-off, the waiters of a contended lock in
 *     arrival order and their deadlines (two sorted sets that exist only while somebody waits);</li>
 *     <li>{@link #releaseChannel(String)}: the pub/sub channel, one per key prefix, on which a
 *     contended release is announced.</li>
 * </ul>
 *
 * <p><b>Redis key.</b> The Redis key is <code>&lt;prefix&gt;{&lt;encoded name&gt;&#125;</code>, where the encoded name
 * is the name with every <code>'&#125;'</code> replaced by {@link #CLOSE_BRACE_SUBSTITUTE} (U+001A, ASCII
 * "substitute"); a name without <code>'&#125;'</code> is used as it is ({@code job:42} gives
 * <code>&lt;prefix&gt;{job:42&#125;</code>). The braces make the encoded name a Redis Cluster hash tag, and it is
 * always exactly the whole encoded name:
 * <ul>
 *     <li>the prefix contains no brace ({@link #checkPrefix(String)}, enforced at startup), so the
 *     first <code>'{'</code> of the Redis key is the one after the prefix;</li>
 *     <li>the encoded name contains no <code>'&#125;'</code>, so the first <code>'&#125;'</code> after it is the last
 *     character of the Redis key;</li>
 *     <li>the name is not blank, so the tag is never empty (Redis hashes the whole key for an
 *     empty tag <code>{&#125;</code>).</li>
 * </ul>
 * So every companion key that starts with the Redis key (such as {@code <redis key>:abandoned:<owner>})
 * lands in the lock's slot, whatever braces the name contains: <code>&#125;x</code>, <code>a&#125;b{c</code> and
 * <code>{x&#125;</code> are ordinary keys. Escaping was chosen over rejecting braces, which would break
 * keys such as {@code job:{42}} that applications already use.
 *
 * <p>The mapping is injective: a valid name contains no control character, so no name contains
 * the substitute, and replacing it back by <code>'&#125;'</code> gives the name again; and a valid name is
 * well-formed UTF-16 (no unpaired surrogate), so its UTF-8 bytes, which Redis stores, are distinct from any other
 * valid name's (Java encodes every unpaired surrogate as the same {@code '?'}). Two distinct names never share a
 * Redis key.
 *
 * @param name     the key as the application gave it
 * @param redisKey the Redis key name
 */
public record LockKey(String name, String redisKey) {

    /** Stands for <code>'&#125;'</code> in the Redis key; a control character, so no valid name contains it. */
    public static final char CLOSE_BRACE_SUBSTITUTE = '\u001A';

    private static final int SHOWN_CHARACTERS = 64;

    /**
     * @param name   the application's key
     * @param prefix the configured prefix
     * @return the validated key
     * @throws NullPointerException     when {@code name} is null
     * @throws IllegalArgumentException when {@code name} is blank, longer than
     *                                  {@link Adapter#MAX_KEY_LENGTH}, contains control characters or an unpaired
     *                                  surrogate (see {@link #validate(String)})
     */
    public static LockKey of(String name, String prefix) {
        validate(name);
        return new LockKey(name, prefix + "{" + name.replace('}', CLOSE_BRACE_SUBSTITUTE) + "}");
    }

    /** The number of Redis Cluster hash slots. */
    public static final int SLOTS = 16384;

    /**
     * The Redis Cluster hash slot of {@link #redisKey()} (and of every companion key): CRC16 (XMODEM) of its
     * hash tag, the encoded name, modulo {@value #SLOTS}, as Redis computes it. On a server that is not a
     * cluster it means nothing to Redis; the library still uses it to order several keys canonically.
     *
     * @return the slot, from 0 to {@value #SLOTS} - 1
     */
    public int slot() {
        int open = redisKey.indexOf('{');
        byte[] tag = redisKey.substring(open + 1, redisKey.length() - 1).getBytes(StandardCharsets.UTF_8);
        int crc = 0;
        for (byte b : tag) {
            crc ^= (b & 0xff) << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }
        return (crc & 0xffff) % SLOTS;
    }

    /**
     * The canonical order of several keys locked together: by {@linkplain #slot() slot}, then by the bytes
     * (UTF-8, unsigned) of the Redis key. Every caller, in every process, sorts a set the same way.
     */
    public static final Comparator<LockKey> CANONICAL_ORDER = Comparator.comparingInt(LockKey::slot)
            .thenComparing((a, b) -> Arrays.compareUnsigned(a.redisKey.getBytes(StandardCharsets.UTF_8),
                    b.redisKey.getBytes(StandardCharsets.UTF_8)));

    /**
     * @param owner an owner id
     * @return the marker key of {@code owner}'s abandoned attempt on this lock; it starts with the
     *         lock's Redis key, so it shares its hash tag (slot)
     */
    public String abandonedMarker(String owner) {
        return redisKey + ":abandoned:" + owner;
    }

    /** @return the sorted set of this lock's queued waiters by arrival (fair hand-off); in the lock's slot */
    public String queue() {
        return redisKey + ":queue";
    }

    /** @return the sorted set of this lock's queued waiters by deadline (fair hand-off); in the lock's slot */
    public String queueExpiry() {
        return redisKey + ":queue:expiry";
    }

    /**
     * @param prefix the configured key prefix
     * @return the channel on which releases of locks under {@code prefix} are announced
     */
    public static String releaseChannel(String prefix) {
        return "distributedmutex:released:" + prefix;
    }

    /**
     * The rule for the key prefix that every {@link #redisKey()} starts with: it must not contain a
     * brace, or Redis Cluster would take a hash tag out of the prefix instead of the name (see the
     * class documentation).
     *
     * @param prefix a key prefix
     * @throws NullPointerException     when {@code prefix} is null
     * @throws IllegalArgumentException when it contains '{' or '}', with a message saying why
     */
    public static void checkPrefix(String prefix) {
        Objects.requireNonNull(prefix, "key prefix must not be null");
        for (int i = 0; i < prefix.length(); i++) {
            if (prefix.charAt(i) == '{' || prefix.charAt(i) == '}') {
                throw new IllegalArgumentException("it contains '" + prefix.charAt(i) + "' at index " + i
                        + "; the key prefix must not contain braces, because the library puts the lock key in"
                        + " braces to make it the Redis Cluster hash tag");
            }
        }
    }

    /**
     * Checks a key without building it.
     *
     * @param name the application's key
     * @throws NullPointerException     when {@code name} is null
     * @throws IllegalArgumentException when the key is not acceptable (blank, longer than
     *                                  {@link Adapter#MAX_KEY_LENGTH}, with a control character, or not well-formed
     *                                  UTF-16: an unpaired surrogate), with a message saying why that never echoes
     *                                  the offending character
     */
    public static void validate(String name) {
        Objects.requireNonNull(name, "lock key must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("lock key must not be blank, was '" + name + "'");
        }
        if (name.length() > Adapter.MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("lock key is " + name.length() + " characters long, the maximum is "
                    + Adapter.MAX_KEY_LENGTH + ": '" + name.substring(0, SHOWN_CHARACTERS) + "...'");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isISOControl(c)) {
                throw new IllegalArgumentException("lock key contains the control character U+"
                        + String.format("%04X", (int) c) + " at index " + i);
            }
            if (Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1))) {
                i++; // a pair: one code point beyond U+FFFF
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("lock key is not well-formed UTF-16: it contains an unpaired"
                        + " surrogate U+" + String.format("%04X", (int) c) + " at index " + i + ", which has no UTF-8"
                        + " encoding (Redis keys are bytes, so distinct such keys would share one lock)");
            }
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
