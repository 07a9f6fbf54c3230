package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.internal.config.CredentialMasking;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redisson client an adapter uses, and who owns it.
 *
 * <p>An application's client is used as it is and never shut down by the library. A private
 * client is created in the background and retried until Redis answers, so that the application
 * starts while Redis is down and lock calls fail within their bounded wait instead of blocking.
 * (A lazily initialised Redisson client would start too, but its first command blocks the
 * calling thread for several seconds while Redis is unreachable, beyond any bounded wait.) Once
 * created, the client reconnects by itself after outages.
 */
public final class RedisConnection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisConnection.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(500);
    private static final Duration MAX_RETRY = Duration.ofSeconds(5);

    private final CompletableFuture<RedissonClient> ready = new CompletableFuture<>();
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();
    private final boolean owned;
    private final ScheduledExecutorService connector;
    private volatile boolean closed;
    private volatile String lastFailure;

    private RedisConnection(boolean owned, ScheduledExecutorService connector) {
        this.owned = owned;
        this.connector = connector;
    }

    /**
     * @param client a client that already exists
     * @param owned  whether {@link #close()} shuts it down (false for the application's client)
     * @return a connection that is ready at once
     */
    public static RedisConnection of(RedissonClient client, boolean owned) {
        RedisConnection connection = new RedisConnection(owned, null);
        connection.ready.complete(Objects.requireNonNull(client, "client"));
        connection.firstAttempt.complete(null);
        return connection;
    }

    /**
     * @param factory     creates the private client; throws while Redis is unreachable
     * @param description where it connects, without credentials, for log lines
     * @return a connection that creates the client in the background, retrying with backoff, and
     *         shuts it down on {@link #close()}
     */
    public static RedisConnection connecting(Supplier<RedissonClient> factory, String description) {
        ScheduledThreadPoolExecutor connector = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "distributed-mutex-connect");
            thread.setDaemon(true);
            return thread;
        });
        RedisConnection connection = new RedisConnection(true, connector);
        connector.execute(() -> connection.connect(factory, description, FIRST_RETRY, 1));
        return connection;
    }

    private void connect(Supplier<RedissonClient> factory, String description, Duration retry, int attempt) {
        if (closed) {
            return;
        }
        try {
            RedissonClient client = factory.get();
            if (closed) {
                client.shutdown();
                return;
            }
            if (!ready.complete(client)) {
                client.shutdown(); // closed meanwhile
                return;
            }
            firstAttempt.complete(null);
            connector.shutdown();
            LOG.info("distributed-mutex connected to Redis at {}{}", description,
                    attempt > 1 ? " after " + attempt + " attempts" : "");
        } catch (RuntimeException e) {
            firstAttempt.complete(null);
            if (closed) {
                return;
            }
            String reason = describe(e);
            lastFailure = reason;
            if (attempt == 1) {
                LOG.warn("distributed-mutex cannot reach Redis at {} yet ({}); lock calls fail with"
                        + " LockUnavailableException until it answers; retrying in the background", description, reason);
            } else {
                LOG.debug("Redis at {} still unreachable (attempt {}): {}", description, attempt, reason);
            }
            Duration next = retry.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : retry.multipliedBy(2);
            connector.schedule(() -> connect(factory, description, next, attempt + 1), retry.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    /**
     * @param failure why the client could not be created
     * @return the failure and its root cause, without credentials
     */
    static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = failure.getClass().getSimpleName() + ": " + failure.getMessage();
        if (root != failure) {
            text += " (caused by " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
        }
        return CredentialMasking.maskUri(text);
    }

    /** @return why the last attempt to create the client failed, empty when none failed yet or it exists */
    Optional<String> lastFailure() {
        return ready.isDone() ? Optional.empty() : Optional.ofNullable(lastFailure);
    }

    /**
     * @return completes with the client once it exists; may not complete while Redis is down; fails once the
     *         connection is closed without a client
     */
    CompletableFuture<RedissonClient> ready() {
        return ready;
    }

    /**
     * @return completes when the first attempt to create the client ended, successfully or not:
     *         until then a caller cannot tell "Redis is down" from "still starting up"
     */
    CompletableFuture<Void> firstAttempt() {
        return firstAttempt;
    }

    /** Stops connecting and shuts a private client down; leaves an application's client alone. */
    @Override
    public void close() {
        closed = true;
        firstAttempt.complete(null);
        // whoever still waits for a client that will never come ends now
        boolean noClient = ready.completeExceptionally(new IllegalStateException(RedisAdapter.CLOSED_MESSAGE));
        if (connector != null) {
            connector.shutdownNow();
        }
        if (owned && !noClient) {
            ready.join().shutdown();
        }
    }
}
