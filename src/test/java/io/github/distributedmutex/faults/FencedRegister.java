package io.github.distributedmutex.faults;

import io.github.distributedmutex.testing.RedisCommands;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A resource protected by fencing tokens, as the README tells users to build one: a register in Redis
 * that stores a value only when the writer's token is greater than the highest token it has accepted,
 * in one Lua script (so check and write are atomic). A holder that lost its lease without knowing it
 * (paused, cut off) carries a lower token than whoever took the lock over, so its late write is refused
 * instead of overwriting newer data.
 *
 * <p>The register is the hash {@code name} with the fields {@code token} (highest accepted) and
 * {@code value}. Tokens are compared as non-negative decimal integers of any length (no floating point),
 * so the library's microsecond tokens compare exactly. Every call goes over a fresh raw connection
 * ({@link RedisCommands}), never through the library or Redisson. Stateless and thread-safe.
 */
public final class FencedRegister {

    /** Outcome of a {@link #write(long, String)}. */
    public enum Write {
        /** The token was greater than every token accepted before: the value is stored. */
        ACCEPTED,
        /** The token was not greater than the highest accepted one: nothing changed. */
        REJECTED
    }

    private static final String WRITE = """
            local function greater(a, b)
              if #a ~= #b then
                return #a > #b
              end
              return a > b
            end
            local highest = redis.call('hget', KEYS[1], 'token')
            if highest == false or greater(ARGV[1], highest) then
              redis.call('hset', KEYS[1], 'token', ARGV[1], 'value', ARGV[2])
              return 1
            end
            return 0
            """;

    private final String address;
    private final String name;

    /**
     * @param address the Redis holding the register, for example {@code redis://127.0.0.1:6379}
     * @param name    the register's Redis key
     */
    public FencedRegister(String address, String name) {
        this.address = Objects.requireNonNull(address, "address");
        this.name = Objects.requireNonNull(name, "name");
    }

    /**
     * Stores {@code value} if {@code token} is greater than the highest token accepted so far.
     *
     * @param token the writer's fencing token, non-negative
     * @param value the value to store
     * @return whether the write was accepted
     */
    public Write write(long token, String value) {
        if (token < 0) {
            throw new IllegalArgumentException("fencing tokens are non-negative: " + token);
        }
        long result = RedisCommands.callForLong(address, "EVAL", WRITE, "1", name, Long.toString(token),
                Objects.requireNonNull(value, "value"));
        return result == 1 ? Write.ACCEPTED : Write.REJECTED;
    }

    /** @return the highest token accepted so far, empty before the first accepted write */
    public OptionalLong highestToken() {
        String token = RedisCommands.call(address, "HGET", name, "token");
        return token == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(token));
    }

    /** @return the value of the last accepted write, or {@code null} before the first */
    public String value() {
        return RedisCommands.call(address, "HGET", name, "value");
    }

    /** @return the register's Redis key */
    public String name() {
        return name;
    }

    /** @return the register's fields and values as stored now, for assertion messages */
    public List<String> state() {
        return RedisCommands.callForList(address, "HGETALL", name);
    }

    @Override
    public String toString() {
        return "FencedRegister[" + name + "]";
    }
}
