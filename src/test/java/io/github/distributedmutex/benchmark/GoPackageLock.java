package io.github.distributedmutex.benchmark;

import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * The locking of the Go package this library succeeds, re-implemented on a Redisson client as
 * the baseline its users come from. The Go package uses {@code bsm/redislock}: {@code Obtain}
 * sends {@code SET key token NX PX 60000} with a random 16-byte token and, while the key is
 * taken, retries with {@code LimitRetry(LinearBackoff(250ms), 20)}: one attempt, then up to 20
 * more, 250 ms apart, so at most about 5 s. {@code Release} runs an owner-checked Lua delete.
 * When every attempt failed, the Go package logged an error and ran the critical section without
 * the lock; here the caller gets {@code null} and the benchmark counts a failed acquisition.
 *
 * <p>One attempt followed by the release is also the cheapest owner-safe lock cycle there is
 * (one command to take, one to give back): the benchmark's floor.
 */
final class GoPackageLock {

    /** The Go package's fixed lock duration. */
    static final Duration TTL = Duration.ofMinutes(1);
    /** Time between two attempts. */
    static final Duration RETRY_INTERVAL = Duration.ofMillis(250);
    /** Attempts after the first one. */
    static final int RETRIES = 20;

    private static final String RELEASE = """
            if redis.call('get', KEYS[1]) == ARGV[1] then
              return redis.call('del', KEYS[1])
            end
            return 0
            """;

    private final RedissonClient client;
    private final RScript script;
    private final String prefix;

    /**
     * @param client the client
     * @param prefix prepended to every key
     */
    GoPackageLock(RedissonClient client, String prefix) {
        this.client = client;
        this.script = client.getScript(StringCodec.INSTANCE);
        this.prefix = prefix;
    }

    /** @return a fresh owner token, as {@code bsm/redislock} makes them (16 random bytes, base64) */
    static String newToken() {
        byte[] bytes = new byte[16];
        ThreadLocalRandom.current().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * One attempt: {@code SET key token NX PX 60000}.
     *
     * @return whether the lock was free and is now held with {@code token}
     */
    boolean tryOnce(String key, String token) {
        return client.getBucket(prefix + key, StringCodec.INSTANCE).setIfAbsent(token, TTL);
    }

    /**
     * The Go package's {@code Acquire}: one attempt, then up to {@link #RETRIES} more,
     * {@link #RETRY_INTERVAL} apart.
     *
     * @return the owner token of the held lock, or {@code null} when every attempt failed
     * @throws InterruptedException when interrupted between attempts
     */
    String acquire(String key) throws InterruptedException {
        String token = newToken();
        for (int retry = 0; ; retry++) {
            if (tryOnce(key, token)) {
                return token;
            }
            if (retry == RETRIES) {
                return null;
            }
            // the strategy under measurement: the Go package polls every 250 ms
            Thread.sleep(RETRY_INTERVAL.toMillis());
        }
    }

    /**
     * The owner-checked release: deletes the key only if it still holds {@code token}.
     *
     * @return whether the lock was still this owner's and is now deleted
     */
    boolean release(String key, String token) {
        String redisKey = prefix + key;
        Long deleted = script.eval(redisKey, RScript.Mode.READ_WRITE, RELEASE, RScript.ReturnType.LONG,
                List.of(redisKey), token);
        return deleted != null && deleted == 1L;
    }
}
