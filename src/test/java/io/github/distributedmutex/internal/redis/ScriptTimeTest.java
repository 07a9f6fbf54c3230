package io.github.distributedmutex.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisVersion;
import io.github.distributedmutex.testing.TestRedis;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What a Lua script sees of time, on the Redis the tests use: the assumptions of {@link RedisLockStore}'s
 * scripts, pinned per Redis version.
 *
 * <ul>
 *     <li>A key whose expiry passes while a script runs still exists for the rest of that script, on every
 *     version. RELEASE relies on it: it reads the lock's {@code owner}, then its {@code token}, then its TTL, and
 *     a lease ending between those reads must not make the hash vanish halfway.</li>
 *     <li>{@code TIME} moves on during a script up to Redis 7.0 (checked here on 6.2 and 7.0); Redis 7.2 freezes
 *     it at the script's start (redis/redis#10300, in the 7.2 release notes; no 7.2 binary on the machines that
 *     ran this). Every script calls {@code TIME} at most once (the fencing token in ACQUIRE, the time held in
 *     RELEASE), so neither depends on which of the two a version does.</li>
 * </ul>
 */
class ScriptTimeTest {

    /** How long the probe script lets time pass, as its own {@code TIME} measures it (where that moves). */
    private static final long SPAN_MICROS = 5_000;
    /** Bound on the probe's loop, for versions whose {@code TIME} stands still during a script. */
    private static final long MAX_CALLS = 200_000;

    /**
     * Sets a key expiring after 1 ms, then calls {@code TIME} until {@link #SPAN_MICROS} have passed by it (or
     * {@link #MAX_CALLS} calls were made), and answers the time that passed, whether the key still exists, and
     * the number of calls. The loop is the behaviour under test (time passing inside one script), not a wait.
     */
    private static final String PROBE = """
            local function micros(t)
              return tonumber(t[1]) * 1000000 + tonumber(t[2])
            end
            local start = redis.call('time')
            redis.call('set', KEYS[1], 'x', 'px', 1)
            local now = start
            local calls = 0
            repeat
              now = redis.call('time')
              calls = calls + 1
            until micros(now) - micros(start) >= tonumber(ARGV[1]) or calls >= tonumber(ARGV[2])
            return {micros(now) - micros(start), redis.call('exists', KEYS[1]), calls}
            """;

    @Test
    void aKeyThatExpiresDuringAScriptStaysForTheRestOfItAndTimeMovesOnBefore72() {
        String key = "script-time-" + UUID.randomUUID();
        RedisVersion version = TestRedis.version();

        List<String> seen = RedisCommands.callForList(TestRedis.address(), "EVAL", PROBE, "1", key,
                Long.toString(SPAN_MICROS), Long.toString(MAX_CALLS));
        long elapsedMicros = Long.parseLong(seen.get(0));
        long calls = Long.parseLong(seen.get(2));

        assertThat(seen.get(1)).as("EXISTS inside the script, after the key's 1 ms expiry passed (Redis %s)", version)
                .isEqualTo("1");
        assertThat(RedisCommands.callForLong(TestRedis.address(), "EXISTS", key)).as("EXISTS after the script")
                .isZero();
        if (version.atLeast(7, 2)) {
            assertThat(elapsedMicros).as("TIME during one script on Redis %s (frozen from 7.2 on)", version).isZero();
            assertThat(calls).isEqualTo(MAX_CALLS);
        } else {
            assertThat(elapsedMicros).as("TIME during one script on Redis %s (moves on before 7.2)", version)
                    .isGreaterThanOrEqualTo(SPAN_MICROS);
            assertThat(calls).isLessThan(MAX_CALLS);
        }
    }
}
