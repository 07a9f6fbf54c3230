package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every entry point rejects bad input with a clear exception before any Redis call. The adapter
 * points at a port where no Redis listens: had it tried Redis, the call would have failed with
 * {@link LockUnavailableException} instead.
 */
class BadInputTest {

    private static final String LONG_KEY = "k".repeat(Adapter.MAX_KEY_LENGTH + 1);

    private static TestAdapters adapters;
    private static Adapter adapter;

    @BeforeAll
    static void startAdapterWithoutRedis() {
        adapters = TestAdapters.on("redis://127.0.0.1:" + RedisServerProcess.freePort());
        adapter = adapters.newInstance();
    }

    @AfterAll
    static void close() throws Exception {
        adapters.close();
    }

    static Stream<Arguments> badCalls() {
        return Stream.of(
                bad("acquire(null)", a -> a.acquire(null), NullPointerException.class, "must not be null"),
                bad("acquire(blank)", a -> a.acquire("  "), IllegalArgumentException.class, "blank"),
                bad("acquire(empty)", a -> a.acquire(""), IllegalArgumentException.class, "blank"),
                bad("acquire(overlong)", a -> a.acquire(LONG_KEY), IllegalArgumentException.class, "maximum is 512"),
                bad("acquire(control char)", a -> a.acquire("job\n42"), IllegalArgumentException.class, "U+000A"),
                bad("acquire(NUL)", a -> a.acquire("job\u000042"), IllegalArgumentException.class, "control character"),
                bad("release(null)", a -> a.release(null), NullPointerException.class, "must not be null"),
                bad("release(blank)", a -> a.release(" "), IllegalArgumentException.class, "blank"),
                bad("lock(null)", a -> a.lock(null), NullPointerException.class, "must not be null"),
                bad("lock(overlong)", a -> a.lock(LONG_KEY), IllegalArgumentException.class, "characters long"),
                bad("lock(key, null options)", a -> a.lock("k", null), NullPointerException.class, "options"),
                bad("tryLock(blank)", a -> a.tryLock("\t", Duration.ZERO), IllegalArgumentException.class, "blank"),
                bad("tryLock(null wait)", a -> a.tryLock("k", (Duration) null), NullPointerException.class, "maxWait"),
                bad("tryLock(negative wait)", a -> a.tryLock("k", Duration.ofMillis(-1)),
                        IllegalArgumentException.class, "maxWait must not be negative"),
                bad("tryLock(zero lease)", a -> a.tryLock("k", Duration.ZERO, Duration.ZERO),
                        IllegalArgumentException.class, "lease must be positive"),
                bad("tryLock(negative lease)", a -> a.tryLock("k", Duration.ZERO, Duration.ofSeconds(-5)),
                        IllegalArgumentException.class, "lease must be positive"),
                bad("tryAcquire(null options)", a -> a.tryAcquire("k", null), NullPointerException.class, "options"),
                bad("acquiref(null format)", a -> a.acquiref(null, 1), NullPointerException.class, "format"),
                bad("acquiref(too few args)", a -> a.acquiref("job:%s:%s", "1"), IllegalArgumentException.class,
                        "does not match"),
                bad("acquiref(too many args)", a -> a.acquiref("job:%s", "1", "2"), IllegalArgumentException.class,
                        "uses 1 argument(s) but 2 were given"),
                bad("acquiref(wrong type)", a -> a.acquiref("job:%d", "x"), IllegalArgumentException.class,
                        "does not match"),
                bad("acquiref(bad conversion)", a -> a.acquiref("job:%q", 1), IllegalArgumentException.class,
                        "does not match"),
                bad("releasef(too many args)", a -> a.releasef("job", 1), IllegalArgumentException.class,
                        "uses 0 argument(s) but 1 were given"),
                bad("acquiref(formats to blank)", a -> a.acquiref("%s", " "), IllegalArgumentException.class, "blank"));
    }

    private static Arguments bad(String call, Consumer<Adapter> invocation, Class<? extends Exception> type,
                                 String message) {
        return Arguments.of(call, invocation, type, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badCalls")
    void isRejectedBeforeAnyRedisCall(String call, Consumer<Adapter> invocation, Class<? extends Exception> type,
                                      String message) {
        assertThatThrownBy(() -> invocation.accept(adapter)).isExactlyInstanceOf(type).hasMessageContaining(message);
    }
}
