package io.github.distributedmutex.faults;

import static io.github.distributedmutex.faults.Faults.CLOCK_TOLERANCE_MICROS;
import static io.github.distributedmutex.faults.Faults.SLACK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.WithoutBackstop;
import io.github.distributedmutex.testing.JvmProcess;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A holder process dies with {@code kill -9} (no shutdown hook, no release): its lock frees itself when its
 * lease runs out, and a waiting instance gets it then, not earlier and not much later.
 *
 * <p>Lower bounds are taken on the Redis server's clock, which is the clock that measures leases: fencing
 * tokens are that clock at the moment of each grant, so the gap between the holder's token and the waiter's
 * is the time the lock stayed with the holder.
 *
 * <p>The waiting instance has no safety-net re-check ({@link WithoutBackstop}): the library's 1 s backstop would
 * hand the lock over within a second of the lease end even if the waiter's lease-end timer were broken. Without it,
 * only that timer wakes the waiter in time, and the upper bound ({@link #WAKE_BOUND_MICROS} after the lease end, on
 * the Redis clock) says "not much later".
 */
@SlowTest
class ClientCrashTest {

    private static final String KEY = "crash:job";
    private static final Duration LEASE = Duration.ofSeconds(3);
    private static final Duration WATCHDOG_LEASE = Duration.ofSeconds(2);
    private static final LockOptions LONG_WAIT = LockOptions.defaults().withMaxWait(Duration.ofSeconds(60));
    /**
     * The latest a waiter may get the lock after the lease ended, on the Redis clock. Its timer fires 1 ms after
     * the lease end it read from Redis, then one more attempt: a few milliseconds (the figure). 500 ms leaves
     * room for a busy machine's thread wake-up and GC, and is half the 1 s backstop of the default waiter.
     */
    private static final long WAKE_BOUND_MICROS = 500_000;

    @Test
    void theLockOfAKilledHolderIsHandedOverWhenItsLeaseRunsOut() throws Exception {
        ExecutorService waiting = Executors.newSingleThreadExecutor();
        try (RedisServerProcess redis = RedisServerProcess.start();
             TestAdapters adapters = TestAdapters.on(redis.address())) {
            RedisAdapter waiter = WithoutBackstop.newInstance(adapters);
            Faults.warmUp(waiter);
            String redisKey = adapters.redisKey(KEY);
            try (JvmProcess holder = LockHolderMain.start("crash-holder", redis.address(),
                    adapters.settings().keyPrefix(), KEY, LEASE, false, null, null)) {
                long holderToken = LockHolderMain.awaitHolding(holder);
                Future<Lease> waiterLease = waiting.submit(() -> waiter.lock(KEY, LONG_WAIT));
                awaitWaiterRegistered(redis.address(), redisKey);

                assertThat(Faults.lockToken(redis.address(), redisKey)).as("the lock is still the holder's")
                        .isEqualTo(holderToken);
                assertThat(waiterLease).as("the waiter must not get the lock while its holder lives").isNotDone();
                long killed = System.nanoTime();
                holder.kill();

                try (Lease lease = waiterLease.get(LEASE.plus(SLACK).toMillis(), TimeUnit.MILLISECONDS)) {
                    long handOver = Faults.millisBetween(killed, System.nanoTime());
                    long heldByHolderMicros = lease.fencingToken() - holderToken;
                    Faults.figure("hand-over after kill -9, lease " + LEASE.toMillis() + " ms", handOver);
                    Faults.figure("lock kept by the dead holder (Redis clock), lease " + LEASE.toMillis() + " ms",
                            heldByHolderMicros / 1000);
                    assertThat(holder.isAlive()).isFalse();
                    assertThat(heldByHolderMicros).as("the waiter got the lock before the holder's lease ran out")
                            .isGreaterThanOrEqualTo(LEASE.toNanos() / 1000 - CLOCK_TOLERANCE_MICROS);
                    long afterLeaseEndMicros = heldByHolderMicros - LEASE.toNanos() / 1000;
                    Faults.figure("waiter got the lock after the lease end (Redis clock), lease " + LEASE.toMillis()
                            + " ms", afterLeaseEndMicros / 1000);
                    assertThat(afterLeaseEndMicros).as("microseconds from the lease end to the waiter's grant, on the"
                            + " Redis clock: its lease-end timer must wake it").isLessThanOrEqualTo(WAKE_BOUND_MICROS);
                    assertThat(Duration.ofMillis(handOver)).as("hand-over after the kill")
                            .isLessThanOrEqualTo(LEASE.plus(SLACK));
                    assertThat(lease.isHeld()).isTrue();
                    assertThat(Faults.lockToken(redis.address(), redisKey)).isEqualTo(lease.fencingToken());
                }
                assertThat(Faults.lockExists(redis.address(), redisKey)).as("released, nothing left").isFalse();
            }
        } finally {
            Faults.shutdown(waiting);
        }
    }

    @Test
    void theWatchdogKeepsALiveHoldersLockAndStopsWhenItsProcessIsKilled() throws Exception {
        ExecutorService waiting = Executors.newSingleThreadExecutor();
        try (RedisServerProcess redis = RedisServerProcess.start();
             TestAdapters adapters = TestAdapters.on(redis.address())) {
            RedisAdapter waiter = WithoutBackstop.newInstance(adapters);
            Faults.warmUp(waiter);
            String redisKey = adapters.redisKey(KEY);
            try (JvmProcess holder = LockHolderMain.start("watchdog-holder", redis.address(),
                    adapters.settings().keyPrefix(), KEY, WATCHDOG_LEASE, true, null, null)) {
                long holderToken = LockHolderMain.awaitHolding(holder);
                Future<Lease> waiterLease = waiting.submit(() -> waiter.lock(KEY, LONG_WAIT));
                awaitWaiterRegistered(redis.address(), redisKey);

                // Let Redis time pass well beyond the lease: only the watchdog can keep the lock that long.
                long heldPast = holderToken + WATCHDOG_LEASE.multipliedBy(5).dividedBy(2).toNanos() / 1000;
                await("two and a half leases on the Redis clock").atMost(WATCHDOG_LEASE.multipliedBy(3).plus(SLACK))
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> Faults.redisMicros(redis.address()) > heldPast);
                assertThat(Faults.lockToken(redis.address(), redisKey))
                        .as("the watchdog kept the lock with the live holder past its lease").isEqualTo(holderToken);
                assertThat(waiterLease).as("the waiter must not get the lock while its holder lives").isNotDone();

                long killed = System.nanoTime();
                holder.kill();
                // the dead holder renews no more: its lock ends when the lease of its last renewal runs out
                long leaseEnd = leaseEndMicros(redis.address(), redisKey, holderToken);

                try (Lease lease = waiterLease.get(WATCHDOG_LEASE.plus(SLACK).toMillis(), TimeUnit.MILLISECONDS)) {
                    long handOver = Faults.millisBetween(killed, System.nanoTime());
                    Faults.figure("hand-over after kill -9, watchdog lease " + WATCHDOG_LEASE.toMillis() + " ms",
                            handOver);
                    assertThat(holder.isAlive()).isFalse();
                    assertThat(lease.fencingToken()).isGreaterThan(heldPast);
                    long afterLeaseEndMicros = lease.fencingToken() - leaseEnd;
                    Faults.figure("waiter got the lock after the lease end (Redis clock), watchdog lease "
                            + WATCHDOG_LEASE.toMillis() + " ms", afterLeaseEndMicros / 1000);
                    assertThat(afterLeaseEndMicros).as("microseconds from the dead holder's lease end to the waiter's"
                                    + " grant, on the Redis clock: not before it, and its lease-end timer must wake it")
                            .isBetween(-CLOCK_TOLERANCE_MICROS, WAKE_BOUND_MICROS);
                    assertThat(Duration.ofMillis(handOver)).as("hand-over after the kill")
                            .isLessThanOrEqualTo(WATCHDOG_LEASE.plus(SLACK));
                    assertThat(lease.isHeld()).isTrue();
                }
                assertThat(Faults.lockExists(redis.address(), redisKey)).as("released, nothing left").isFalse();
            }
        } finally {
            Faults.shutdown(waiting);
        }
    }

    /**
     * @return when the lock at {@code redisKey}, which must still be the one granted with {@code token}, expires,
     *         on the Redis clock in microseconds (its clock and remaining lease read in one script)
     */
    private static long leaseEndMicros(String address, String redisKey, long token) {
        List<String> reply = RedisCommands.callForList(address, "EVAL", "local now = redis.call('time')"
                + " return {redis.call('hget', KEYS[1], 'token'), redis.call('pttl', KEYS[1]), now[1], now[2]}",
                "1", redisKey);
        assertThat(reply.get(0)).as("the dead holder's lock is still in Redis right after the kill (reply %s)", reply)
                .isEqualTo(Long.toString(token));
        long nowMicros = Long.parseLong(reply.get(2)) * 1_000_000L + Long.parseLong(reply.get(3));
        return nowMicros + Long.parseLong(reply.get(1)) * 1000;
    }

    /** The waiter flags the lock as waited for once it is registered for release notifications. */
    private static void awaitWaiterRegistered(String address, String redisKey) {
        await("the waiter is waiting").atMost(SLACK).pollInterval(Duration.ofMillis(10))
                .until(() -> "1".equals(Faults.lockField(address, redisKey, "waiters")));
    }
}
