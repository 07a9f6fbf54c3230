package io.github.distributedmutex.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * The one check of how an adapter whose client cannot connect (untrusted certificate, wrong
 * password) fails: a lock call fails within a bound with {@link LockUnavailableException} saying the
 * client is not connected, and once the background connection attempt has failed, lock calls name
 * the cause. Returns what was thrown, for the caller's "no secret in it" assertions.
 */
final class ConnectionFailureCheck {

    private ConnectionFailureCheck() {
    }

    /**
     * @param adapter an adapter whose client cannot connect
     * @param cause   what a later exception message must match (case-insensitive)
     * @return the stack traces of the first and the naming exception
     */
    static String failsBoundedThenNamesTheCause(RedisAdapter adapter, Pattern cause) {
        long start = System.nanoTime();
        LockUnavailableException first = catchThrowableOfType(
                () -> adapter.lock("job", LockOptions.defaults().withMaxWait(Duration.ofSeconds(1))),
                LockUnavailableException.class);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(first).as("lock call while the client cannot connect").isNotNull();
        assertThat(took).as("time to fail").isLessThan(Duration.ofSeconds(20));
        assertThat(first).hasMessageContaining("not connected");

        AtomicReference<LockUnavailableException> named = new AtomicReference<>();
        await("a lock call naming " + cause).atMost(Duration.ofSeconds(60)).until(() -> {
            LockUnavailableException next = catchThrowableOfType(
                    () -> adapter.lock("job", LockOptions.defaults().withMaxWait(Duration.ZERO)),
                    LockUnavailableException.class);
            named.set(next);
            return next != null && cause.matcher(next.getMessage()).find();
        });
        return stackTrace(first) + "\n" + stackTrace(named.get());
    }

    private static String stackTrace(Throwable failure) {
        StringWriter text = new StringWriter();
        failure.printStackTrace(new PrintWriter(text));
        return text.toString();
    }
}
