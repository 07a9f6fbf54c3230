package io.github.distributedmutex.internal.cdi;

import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.Locked;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Everything the interceptor needs about one {@code @Locked} method, computed once by
 * {@link LockedMethodValidator}.
 *
 * @param key          the compiled key template
 * @param options      wait, lease and watchdog from the annotation (unset values use the configuration)
 * @param onContention what to do when the wait runs out
 * @param returns      how the method returns, which decides how long the lock is held and what a skip returns
 */
record LockedMethod(KeyTemplate key, LockOptions options, Locked.OnContention onContention, Returns returns) {

    /** How a {@code @Locked} method returns. */
    enum Returns {
        /** Synchronously; a skip returns null. */
        VALUE,
        /** Synchronously, a primitive: cannot be skipped. */
        PRIMITIVE,
        /** An {@code Optional}; a skip returns {@code Optional.empty()}. */
        OPTIONAL,
        /** A {@code CompletionStage} or {@code CompletableFuture}: the lock is held until it completes. */
        STAGE,
        /**
         * The same, for a Jakarta Concurrency {@code @Asynchronous(runAt = ...)} method ({@link RunAtMethods}); a
         * skip returns {@code null}, which the container reads as "go on with the schedule" (a completed stage
         * would end it).
         */
        RUN_AT_STAGE;

        /** @return whether the lock is held until the returned stage completes */
        boolean isStage() {
            return this == STAGE || this == RUN_AT_STAGE;
        }

        /** @return what a skipped invocation returns */
        Object skipped() {
            return switch (this) {
                case OPTIONAL -> Optional.empty();
                case STAGE -> CompletableFuture.completedFuture(null);
                case VALUE, RUN_AT_STAGE -> null;
                case PRIMITIVE -> throw new IllegalStateException("a method returning a primitive cannot be skipped");
            };
        }
    }
}
