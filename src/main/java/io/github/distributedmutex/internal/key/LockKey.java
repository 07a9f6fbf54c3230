package io.github.distributedmutex.internal.key;

import io.github.distributedmutex.Adapter;
import java.util.Objects;

/**
 * A validated lock key and the name of the Redis key that holds it.
 *
 * <p>The Redis key is {@code <prefix>{<name>}}: the braces make the name a Redis Cluster hash
 * tag, so every companion key or channel derived from it lands in the same slot.
 *
 * @param name     the key as the application gave it
 * @param redisKey the Redis key name
 */
public record LockKey(String name, String redisKey) {

    private static final int SHOWN_CHARACTERS = 64;

    /**
     * @param name   the application's key
     * @param prefix the configured prefix
     * @return the validated key
     * @throws NullPointerException     when {@code name} is null
     * @throws IllegalArgumentException when {@code name} is blank, longer than
     *                                  {@link Adapter#MAX_KEY_LENGTH} or contains control characters
     */
    public static LockKey of(String name, String prefix) {
        validate(name);
        return new LockKey(name, prefix + "{" + name + "}");
    }

    /**
     * Checks a key without building it.
     *
     * @param name the application's key
     * @throws NullPointerException     when {@code name} is null
     * @throws IllegalArgumentException when the key is not acceptable, with a message saying why
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
            if (Character.isISOControl(name.charAt(i))) {
                throw new IllegalArgumentException("lock key contains the control character U+"
                        + String.format("%04X", (int) name.charAt(i)) + " at index " + i);
            }
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
