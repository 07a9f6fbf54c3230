package io.github.distributedmutex.faults;

import static io.github.distributedmutex.faults.Faults.SLACK;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.JvmProcess;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The limit no lease lock can remove, and how fencing closes it: a holder process frozen with
 * {@code SIGSTOP} (a stand-in for a long GC pause or a frozen VM) for longer than its lease loses the lock
 * without knowing it; another instance takes the lock over with a higher fencing token. When the first one
 * wakes up and writes, the fenced resource refuses its lower token; its release deletes nothing of the new
 * holder's and is reported as an ERROR.
 */
@SlowTest
class GcPauseTest {

    private static final String KEY = "pause:account";
    private static final Duration LEASE = Duration.ofSeconds(2);

    @ParameterizedTest(name = "watchdog={0}")
    @ValueSource(booleans = {false, true})
    void aHolderPausedPastItsLeaseIsFencedOffAndItsReleaseHarmsNobody(boolean watchdog) throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start();
             TestAdapters adapters = TestAdapters.on(redis.address())) {
            String id = UUID.randomUUID().toString().substring(0, 8);
            FencedRegister register = new FencedRegister(redis.address(), "register:" + id);
            String proceed = "proceed:" + id;
            String redisKey = adapters.redisKey(KEY);
            RedisAdapter second = adapters.newInstance();
            Faults.warmUp(second);

            try (JvmProcess first = LockHolderMain.start("paused-holder", redis.address(),
                    adapters.settings().keyPrefix(), KEY, LEASE, watchdog, proceed, register.name())) {
                long firstToken = LockHolderMain.awaitHolding(first);
                first.pause();
                long pausedAt = System.nanoTime();

                Lease taken = second.lock(KEY, LockOptions.defaults().withMaxWait(LEASE.plus(SLACK))
                        .withLease(Duration.ofSeconds(60)));
                try {
                    assertThat(taken.fencingToken()).as("the new holder's token").isGreaterThan(firstToken);
                    Faults.assertTakenOverOnlyAfterTheLease("take-over from a paused holder (watchdog=" + watchdog + ")",
                            firstToken, taken.fencingToken(), LEASE);
                    assertThat(register.write(taken.fencingToken(), "second")).isEqualTo(FencedRegister.Write.ACCEPTED);

                    // The pause under test: keep the first holder frozen for longer than its whole lease.
                    long pausedMillis = Faults.millisBetween(pausedAt, System.nanoTime());
                    Thread.sleep(Math.max(0, LEASE.toMillis() + 500 - pausedMillis));
                    Faults.figure("SIGSTOP pause of the first holder (watchdog=" + watchdog + ")",
                            Faults.millisBetween(pausedAt, System.nanoTime()));
                    RedisCommands.call(redis.address(), "RPUSH", proceed, "go");
                    first.resume();

                    first.awaitLine(line -> line.equals("CLOSED"), Duration.ofSeconds(60));
                    assertThat(first.awaitExit(Duration.ofSeconds(60))).isZero();
                    List<String> lines = first.lines();
                    assertThat(lines).as("the woken holder's write carries its old token and is refused")
                            .contains("WRITE REJECTED token=" + firstToken);
                    assertThat(lines).contains("HELD false");
                    assertThat(lines).as("the late release is reported as an ERROR naming the key")
                            .anyMatch(line -> line.contains(" ERROR ") && line.contains("'" + KEY + "'")
                                    && line.contains("expired before its release"));

                    assertThat(register.value()).as("the resource kept the new holder's write").isEqualTo("second");
                    assertThat(register.highestToken()).hasValue(taken.fencingToken());
                    assertThat(taken.isHeld()).as("the late release deleted nothing of the new holder's").isTrue();
                    assertThat(Faults.lockToken(redis.address(), redisKey)).isEqualTo(taken.fencingToken());
                } finally {
                    taken.close();
                }
                assertThat(Faults.lockExists(redis.address(), redisKey)).as("released, nothing left").isFalse();
            }
        }
    }
}
