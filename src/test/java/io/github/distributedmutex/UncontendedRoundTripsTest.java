package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.internal.config.Fairness;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.TestAdapters;
import io.github.distributedmutex.testing.TestRedis;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The uncontended cost in every fairness mode, counted by the Redis server ({@code INFO commandstats}): one script
 * call to lock, fencing token included, and one to release, and no other command from the client; inside the
 * scripts, no command of the waiter queue and no publish. Fair hand-off must not add a round trip where nobody waits
 * (inside the scripts it adds an {@code EXISTS} of the queue key per call, and a {@code TIME} per release).
 */
class UncontendedRoundTripsTest {

    private static final Pattern CALLS = Pattern.compile("cmdstat_([a-z|]+):calls=(\\d+)");
    private static final int CYCLES = 20;

    @ParameterizedTest
    @EnumSource(Fairness.Mode.class)
    void oneScriptToLockAndOneToRelease(Fairness.Mode mode) throws Exception {
        try (TestAdapters adapters = TestAdapters.onSharedRedis()
                .withFairness(new Fairness(mode, Fairness.DEFAULT_THRESHOLD))) {
            RedisAdapter adapter = adapters.newInstance();
            adapter.lock("warm-up").close(); // connects and loads the scripts
            Map<String, Long> before = calls();
            for (int i = 0; i < CYCLES; i++) {
                try (Lease lease = adapter.lock("uncontended-" + i, LockOptions.defaults()
                        .withMaxWait(Duration.ofSeconds(30)))) {
                    assertThat(lease.fencingToken()).isPositive();
                }
            }
            Map<String, Long> after = calls();
            Map<String, Long> delta = new HashMap<>();
            after.forEach((command, count) -> {
                long added = count - before.getOrDefault(command, 0L);
                if (added > 0 && !command.equals("info") && !command.equals("ping")) {
                    delta.put(command, added);
                }
            });
            // commandstats also counts the commands the scripts run: the client sent only the script calls
            assertThat(delta.getOrDefault("evalsha", 0L) + delta.getOrDefault("eval", 0L))
                    .as("script calls for %d uncontended lock/close cycles: %s", CYCLES, delta).isEqualTo(2L * CYCLES);
            assertThat(delta.keySet()).as("no command but the scripts' own, no queue touched, nothing published")
                    .isSubsetOf(Set.of("evalsha", "eval", "exists", "hget", "hmget", "hset", "pexpire", "del", "time"));
        }
    }

    private static Map<String, Long> calls() {
        String stats = RedisCommands.call(TestRedis.address(), "INFO", "commandstats");
        Map<String, Long> calls = new HashMap<>();
        Matcher matcher = CALLS.matcher(stats);
        while (matcher.find()) {
            calls.put(matcher.group(1), Long.parseLong(matcher.group(2)));
        }
        return calls;
    }
}
