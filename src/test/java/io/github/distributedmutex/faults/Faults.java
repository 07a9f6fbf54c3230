package io.github.distributedmutex.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.testing.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/** Small helpers shared by the fault tests: warming adapters up, reading Redis directly, reporting figures. */
final class Faults {

    /** Generous slack on top of any expected duration: the tests run on busy 2-core machines. */
    static final Duration SLACK = Duration.ofSeconds(10);
    /** The Redis clock's tick within a script and the expiry check: a few milliseconds at most. */
    static final long CLOCK_TOLERANCE_MICROS = 50_000;

    private Faults() {
    }

    /** Waits until the adapter can lock and release a key of its own (its client is connected and subscribed). */
    static void warmUp(Adapter adapter) {
        String key = "warm-up:" + UUID.randomUUID();
        await("adapter connected").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .ignoreException(LockUnavailableException.class)
                .until(() -> {
                    Optional<Lease> lease = adapter.tryLock(key, Duration.ofSeconds(1));
                    lease.ifPresent(Lease::close);
                    return lease.isPresent();
                });
    }

    /** @return the field {@code field} of the lock hash at {@code redisKey}, read over a raw connection */
    static String lockField(String address, String redisKey, String field) {
        return RedisCommands.call(address, "HGET", redisKey, field);
    }

    /** @return the fencing token stored in the lock at {@code redisKey}, or -1 when no lock is there */
    static long lockToken(String address, String redisKey) {
        String token = lockField(address, redisKey, "token");
        return token == null ? -1 : Long.parseLong(token);
    }

    /** @return whether a lock exists at {@code redisKey} */
    static boolean lockExists(String address, String redisKey) {
        return RedisCommands.callForLong(address, "EXISTS", redisKey) == 1;
    }

    /** @return the Redis server's clock in microseconds, the clock fencing tokens are taken from */
    static long redisMicros(String address) {
        List<String> time = RedisCommands.callForList(address, "TIME");
        return Long.parseLong(time.get(0)) * 1_000_000L + Long.parseLong(time.get(1));
    }

    /**
     * Asserts, on the Redis clock, that a take-over came no earlier than the end of the lease it took over:
     * fencing tokens are the Redis server's {@code TIME} in microseconds at each grant, so the difference of
     * two tokens is how long the first holder kept the lock. A lock granted at once would fail this.
     *
     * @param what         the situation, for the message
     * @param holderToken  the token of the holder whose lease ran out
     * @param takeOverToken the token of the grant that took over
     * @param lease        the holder's lease (at least: a renewal only makes the lock last longer)
     */
    static void assertTakenOverOnlyAfterTheLease(String what, long holderToken, long takeOverToken, Duration lease) {
        long heldMicros = takeOverToken - holderToken;
        figure(what + ": lock kept by the first holder (Redis clock), lease " + lease.toMillis() + " ms",
                heldMicros / 1000);
        assertThat(heldMicros).as("%s: microseconds between the holder's grant and the take-over, on the Redis clock"
                        + " (must be at least the lease of %d ms, less %d µs of clock tolerance)", what, lease.toMillis(),
                CLOCK_TOLERANCE_MICROS).isGreaterThanOrEqualTo(lease.toNanos() / 1000 - CLOCK_TOLERANCE_MICROS);
    }

    /** @return the milliseconds between two {@link System#nanoTime()} readings */
    static long millisBetween(long startNanos, long endNanos) {
        return TimeUnit.NANOSECONDS.toMillis(endNanos - startNanos);
    }

    /** Prints a measured figure in a form that is easy to find in the test output (the README cites them). */
    static void figure(String what, long millis) {
        System.out.println(String.format(Locale.ROOT, "FAULT FIGURE %s: %d ms", what, millis));
    }

    /** Stops an executor and makes sure none of its threads is left running. */
    static void shutdown(ExecutorService executor) throws InterruptedException {
        executor.shutdownNow();
        if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
            throw new AssertionError("a test thread is stuck: " + executor);
        }
    }
}
