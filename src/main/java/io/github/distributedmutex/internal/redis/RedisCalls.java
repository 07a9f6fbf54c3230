package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.config.CredentialMasking;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Waits for asynchronous Redis calls within a bound and turns their failures into
 * {@link LockUnavailableException}s whose messages and causes carry no credentials.
 */
final class RedisCalls {

    /**
     * The least time an acquisition attempt may wait for Redis, even when the caller's maximum
     * wait is shorter (for example zero): a healthy Redis answers in well under a millisecond, a
     * dead one is given this long before the call fails.
     */
    static final Duration MIN_ATTEMPT_TIME = Duration.ofSeconds(2);

    /** The bound of calls that are not acquisitions (release, extend, isHeld). */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);

    /** An error line of Redis: an upper-case code ({@code ERR}, {@code NOPERM}, {@code TRYAGAIN}, ...) and its text. */
    private static final Pattern REDIS_ERROR = Pattern.compile("[A-Z][A-Z_]+ [^\\r\\n]*");

    /** Where Redisson's failure messages go on to the channel, the command and its parameters, or tuning advice. */
    private static final List<String> REDISSON_DETAILS = List.of(" channel:", ", channel:",
            " command:", " params:", " Try to increase", " Check connection with Redis node", " Netty pending");

    private RedisCalls() {
    }

    /**
     * @param call         the Redis call
     * @param timeoutNanos the longest wait
     * @param key          the lock key the call is about (for the message)
     * @param operation    what the call does, as a verb ("acquire", "release", ...)
     * @return the call's result
     * @throws LockUnavailableException when the call failed or did not complete in time
     * @throws InterruptedException     when the waiting thread was interrupted
     */
    static <T> T await(CompletableFuture<T> call, long timeoutNanos, String key, String operation)
            throws InterruptedException {
        try {
            return call.get(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw notInTime(key, operation, timeoutNanos);
        } catch (ExecutionException e) {
            throw unavailable(key, operation, e.getCause());
        }
    }

    /**
     * {@link #await} without blocking: a new stage that completes like {@code call}, or fails with a
     * {@link LockUnavailableException} when {@code call} fails or has not completed after {@code timeoutNanos}
     * ({@code timers} keeps the bound). {@code call} itself is left alone (it may be shared); cancelling the new
     * stage stops its timer. The new stage completes
     * on the thread that completes {@code call}, or on the timer's thread: its dependents must not block.
     */
    static <T> CompletableFuture<T> within(CompletableFuture<T> call, long timeoutNanos, String key, String operation,
                                           Timers timers) {
        CompletableFuture<T> bounded = new CompletableFuture<>();
        // the timer goes before the caller's continuations run: nothing of the call is left once they see its end
        Future<?> timer = call.isDone() ? null
                : timers.bound(bounded, timeoutNanos, () -> notInTime(key, operation, timeoutNanos));
        if (timer != null) {
            bounded.whenComplete((value, failure) -> timer.cancel(false)); // also when cancelled by the caller
        }
        call.whenComplete((value, failure) -> {
            if (timer != null) {
                timer.cancel(false);
            }
            if (failure == null) {
                bounded.complete(value);
            } else {
                bounded.completeExceptionally(unavailable(key, operation, failure));
            }
        });
        return bounded;
    }

    private static LockUnavailableException notInTime(String key, String operation, long timeoutNanos) {
        return new LockUnavailableException(key, "Redis did not answer in time to " + operation + " lock '" + key
                + "' (waited " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms)", null);
    }

    /** @return {@code duration} in nanoseconds, saturated for durations too long to count that way */
    static long saturatedNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 2;
        }
    }

    /**
     * @return a {@link LockUnavailableException} describing {@code failure} without credentials
     */
    static LockUnavailableException unavailable(String key, String operation, Throwable failure) {
        Throwable cause = unwrap(failure);
        return new LockUnavailableException(key, "Redis could not " + operation + " lock '" + key + "': "
                + summarize(cause), withoutCredentials(cause));
    }

    /**
     * A failure for an exception's message: {@link #describe} for an error Redis answered; for a failure on the
     * client's side (a timeout, a refused connection), its type and Redisson's explanation up to where Redisson
     * lists the channel, the command and its parameters or gives tuning advice. Credentials masked.
     */
    static String summarize(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause == null) {
            return "unknown failure";
        }
        String message = cause.getMessage();
        if (message == null || REDIS_ERROR.matcher(message).lookingAt()) {
            return describe(cause);
        }
        int end = message.length();
        for (String marker : REDISSON_DETAILS) {
            int at = message.indexOf(marker);
            if (at >= 0 && at < end) {
                end = at;
            }
        }
        String explanation = message.substring(0, end).strip();
        return cause.getClass().getSimpleName() + (explanation.isEmpty() ? "" : ": "
                + CredentialMasking.maskUri(explanation));
    }

    /**
     * A failure for a user's message: its type, and the error line Redis answered when there is one ({@code NOPERM
     * ...}, {@code TRYAGAIN ...}), without what Redisson adds (the channel with its local and remote addresses, the
     * command and its parameters, tuning advice).
     */
    static String describe(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause == null) {
            return "unknown failure";
        }
        String type = cause.getClass().getSimpleName();
        String message = cause.getMessage();
        if (message == null) {
            return type;
        }
        Matcher error = REDIS_ERROR.matcher(message);
        if (!error.lookingAt()) {
            return type;
        }
        String line = error.group();
        int details = line.indexOf(". channel:");
        if (details < 0) {
            details = line.indexOf(" channel:");
        }
        if (details >= 0) {
            line = line.substring(0, details);
        }
        return type + ": " + CredentialMasking.maskUri(line.strip());
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    /** The failure itself when no message in its chain carries credentials, else a masked copy. */
    private static Throwable withoutCredentials(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (CredentialMasking.containsCredentials(t.getMessage())) {
                IllegalStateException masked = new IllegalStateException(
                        failure.getClass().getName() + ": " + CredentialMasking.maskUri(failure.getMessage()));
                masked.setStackTrace(failure.getStackTrace());
                return masked;
            }
        }
        return failure;
    }
}
