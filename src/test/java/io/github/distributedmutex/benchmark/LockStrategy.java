package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockNotAcquiredException;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;

/**
 * How one contender takes and gives back a lock in the load runs: a blocking lock call bounded by
 * the same 5 s wait for all (the library's default wait; {@code tryLock(5 s, 60 s)} for
 * {@code RLock} and {@code RFairLock}; 20 × 250 ms for the Go package), and a release. Implementations are thread-safe
 * and stateless per key; the load loop calls {@link #lock} and {@link #unlock} on one thread.
 */
interface LockStrategy {

    /** The bounded wait every contender gets. */
    Duration WAIT = Duration.ofSeconds(5);
    /** The lease every contender gets (the library's default; the Go package's fixed TTL). */
    Duration LEASE = Duration.ofSeconds(60);

    /**
     * @param key the lock key (the strategy adds its own prefix)
     * @return what {@link #unlock} needs, or {@code null} when the lock was not obtained within the bounded wait
     * @throws InterruptedException when interrupted while waiting
     */
    Object lock(String key) throws InterruptedException;

    /**
     * @param key    the key given to {@link #lock}
     * @param handle what {@link #lock} returned
     */
    void unlock(String key, Object handle);

    /**
     * @param contender which strategy
     * @param client    the process's Redisson client, shared by all strategies
     * @param adapter   the library's adapter on that client, with the contender's {@link Contender#fairness fairness}
     * @param prefix    the run's key prefix
     * @return the strategy
     * @throws IllegalArgumentException for a contender that is not a lock strategy (PING, LOCKED)
     */
    static LockStrategy of(Contender contender, RedissonClient client, RedisAdapter adapter, String prefix) {
        return switch (contender) {
            case ADAPTER, ADAPTER_FIFO, ADAPTER_HYBRID -> new LockStrategy() {
                @Override
                public Object lock(String key) {
                    try {
                        adapter.acquire(key);
                        return Boolean.TRUE;
                    } catch (LockNotAcquiredException e) {
                        return null;
                    }
                }

                @Override
                public void unlock(String key, Object handle) {
                    adapter.release(key);
                }
            };
            case LEASE -> new LockStrategy() {
                @Override
                public Object lock(String key) {
                    return adapter.tryLock(key, WAIT).orElse(null);
                }

                @Override
                public void unlock(String key, Object handle) {
                    ((Lease) handle).close();
                }
            };
            case RLOCK -> redisson(name -> client.getLock(prefix + "rlock:" + name));
            case RFAIRLOCK -> redisson(name -> client.getFairLock(prefix + "rfairlock:" + name));
            case GO_PACKAGE -> new LockStrategy() {
                private final GoPackageLock go = new GoPackageLock(client, prefix + "go:");

                @Override
                public Object lock(String key) throws InterruptedException {
                    return go.acquire(key);
                }

                @Override
                public void unlock(String key, Object handle) {
                    go.release(key, (String) handle);
                }
            };
            case FLOOR -> new LockStrategy() {
                private final GoPackageLock floor = new GoPackageLock(client, prefix + "floor:");

                @Override
                public Object lock(String key) {
                    String token = GoPackageLock.newToken();
                    return floor.tryOnce(key, token) ? token : null;
                }

                @Override
                public void unlock(String key, Object handle) {
                    floor.release(key, (String) handle);
                }
            };
            case PING, LOCKED -> throw new IllegalArgumentException(contender + " is not a load strategy");
        };
    }

    /** Redisson's lock of {@code locks}: {@code tryLock(5 s wait, 60 s lease)} and {@code unlock()}. */
    private static LockStrategy redisson(Function<String, RLock> locks) {
        return new LockStrategy() {
            @Override
            public Object lock(String key) throws InterruptedException {
                RLock lock = locks.apply(key);
                return lock.tryLock(WAIT.toMillis(), LEASE.toMillis(), TimeUnit.MILLISECONDS) ? lock : null;
            }

            @Override
            public void unlock(String key, Object handle) {
                ((RLock) handle).unlock();
            }
        };
    }
}
