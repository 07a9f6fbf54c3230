package io.github.distributedmutex.internal.cdi;

import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.Locked;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Everything the interceptor needs about one {@code @Locked} method, computed once by
 * {@link LockedMethodValidator}.
 *
 * @param keys         the compiled key templates: one, or several locked together
 * @param options      wait, lease and watchdog from the annotation (unset values use the configuration)
 * @param onContention what to do when the wait runs out
 * @param returns      how the method returns, which decides how long the lock is held and what a skip returns
 * @param asynchronous whether a Jakarta Concurrency container runs the method ({@link AsynchronousMethods})
 */
record LockedMethod(List<KeyTemplate> keys, LockOptions options, Locked.OnContention onContention, Returns returns,
                    Asynchronous asynchronous) {

    /**
     * @param parameters the call's arguments
     * @return the rendered keys, each once, in template order
     */
    List<String> render(Object[] parameters) {
        if (keys.size() == 1) {
            return List.of(keys.get(0).render(parameters));
        }
        Set<String> rendered = new LinkedHashSet<>();
        for (KeyTemplate key : keys) {
            rendered.add(key.render(parameters));
        }
        return List.copyOf(rendered);
    }

    /** @return what a skipped invocation returns */
    Object skipped() {
        // a runAt container reads anything but null as "the schedule is over"
        return asynchronous == Asynchronous.RUN_AT ? null : returns.skipped();
    }

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
         * Mutiny's {@code Uni}: the lock is taken when it is subscribed and held until it terminates
         * ({@link MutinyLocking}, which also makes the skip: a {@code null} item).
         */
        UNI,
        /** Mutiny's {@code Uni<Optional<T>>}: as {@link #UNI}, a skip emits {@code Optional.empty()}. */
        UNI_OF_OPTIONAL;

        /** @return whether the method returns a {@code Uni} */
        boolean uni() {
            return this == UNI || this == UNI_OF_OPTIONAL;
        }

        /** @return the item the {@code Uni} of a skipped subscription emits */
        Object skippedItem() {
            return this == UNI_OF_OPTIONAL ? Optional.empty() : null;
        }

        private Object skipped() {
            return switch (this) {
                case OPTIONAL -> Optional.empty();
                case STAGE -> CompletableFuture.completedFuture(null);
                case VALUE -> null;
                case PRIMITIVE -> throw new IllegalStateException("a method returning a primitive cannot be skipped");
                case UNI, UNI_OF_OPTIONAL -> throw new IllegalStateException("a Uni skips when subscribed, not when returned");
            };
        }
    }

    /** Whether a Jakarta Concurrency {@code @Asynchronous} interceptor runs before {@code @Locked}. */
    enum Asynchronous {
        /** No: the caller calls the method. */
        NONE,
        /**
         * {@code @Asynchronous}: the container calls the method on its executor and gives the caller its own
         * future, completed from the stage the method returns; that stage is handed back unchanged.
         */
        ONCE,
        /**
         * {@code @Asynchronous(runAt = ...)}: the container calls the method at every scheduled time, goes on
         * while an execution returns {@code null}, and ends the schedule for good when one returns anything
         * else or throws.
         */
        RUN_AT
    }
}
