package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;

/**
 * Application instances whose waiters have no safety-net re-check ({@link RedisAdapter#BACKSTOP}, 1 s) within
 * any test's time: such a waiter is woken only by a release notification or by the timer set to the holder's
 * lease end. Tests use them where the backstop would hide a broken wake-up (it re-checks every second, so a
 * waiter would still get the lock, just late). The constructor that takes a backstop is package-private; this
 * test fixture, in the same package, opens it to the other test packages.
 */
public final class WithoutBackstop {

    /** Longer than any test waits. */
    public static final Duration BACKSTOP = Duration.ofHours(1);

    private WithoutBackstop() {
    }

    /**
     * @param adapters the fixture whose Redis, prefix and settings to use; it closes the adapter
     * @return a new adapter on its own private client, as {@link TestAdapters#newInstance()}, without backstop
     */
    public static RedisAdapter newInstance(TestAdapters adapters) {
        Settings settings = adapters.settings();
        return adapters.register(new RedisAdapter(RedissonClientFactory.connect(settings), settings, BACKSTOP));
    }

    /**
     * @param settings the instance's settings
     * @return a new adapter on its own private client built from {@code settings}, without backstop; the caller
     *         closes it
     */
    public static RedisAdapter newInstance(Settings settings) {
        return new RedisAdapter(RedissonClientFactory.connect(settings), settings, BACKSTOP);
    }
}
