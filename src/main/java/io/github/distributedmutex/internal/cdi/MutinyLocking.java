package io.github.distributedmutex.internal.cdi;

import io.github.distributedmutex.Lease;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code @Locked} methods returning Mutiny's {@code Uni}. The only class of the library that touches Mutiny: the
 * interceptor calls it for such methods only, and its method signatures name no Mutiny type, so an application
 * without Mutiny never loads it (Mutiny is an optional dependency).
 *
 * <p>The interceptor returns, instead of calling the method, a {@code Uni} that per subscription
 * <ol>
 *     <li>takes the lock without blocking the subscribing thread (the adapter's {@code lockAsync} family);</li>
 *     <li>once it is held, runs the method ({@code InvocationContext.proceed()}, with the lock's MDC) on the thread
 *     that completed the wait, so eager work in the method body runs under the lock too, and subscribes to the
 *     {@code Uni} it returns;</li>
 *     <li>when that {@code Uni} terminates, releases the lock as {@link RunOutcome} says (an item keeps the minimum
 *     hold, a failure frees at once, a cancellation keeps the minimum hold and logs a WARN), and only then passes the
 *     item or failure on, from the thread that completed the release (never a Redisson I/O thread).</li>
 * </ol>
 * Cancelling the subscription while it waits for the lock cancels the wait, which gives back any grant it got; a
 * grant that arrives just as the subscriber leaves is freed at once, since the method never ran. Each subscription
 * locks again; the method runs once per subscription. A skip ({@code onContention = SKIP}) emits a {@code null}
 * item without running the method.
 */
final class MutinyLocking {

    private MutinyLocking() {
    }

    /** The method under the lock. */
    @FunctionalInterface
    interface Body {

        /**
         * @param lease the held lease
         * @return what the method returned: its {@code Uni}
         * @throws Exception what the method threw
         */
        Object proceed(Lease lease) throws Exception;
    }

    /**
     * @param lock    starts one non-blocking acquisition; cancelling its stage must give up the wait and give back
     *                any grant ({@code Adapter.lockAsync})
     * @param granted the lease a completed acquisition holds, empty when it skipped
     * @param body    runs the method under the lock
     * @param <G>     what the acquisition completes with
     * @return the {@code Uni} the caller gets (typed {@code Object}, so that callers need no Mutiny class)
     */
    static <G> Object lockOnSubscription(Supplier<? extends CompletionStage<G>> lock,
                                         Function<? super G, Optional<Lease>> granted, Body body) {
        return Uni.createFrom().deferred(() -> {
            // a lease on its way to the subscriber: whoever takes it out of here owns it
            AtomicReference<Lease> handedOver = new AtomicReference<>();
            return Uni.createFrom().<Lease>emitter(emitter -> acquire(lock.get(), granted, handedOver, emitter))
                    .onItem().transformToUni(lease -> {
                        if (lease == null) {
                            return Uni.createFrom().nullItem(); // skipped
                        }
                        handedOver.set(null);
                        return run(lease, body);
                    });
        });
    }

    /** Emits the lease once the lock is held ({@code null} when skipped), or the acquisition's failure. */
    private static <G> void acquire(CompletionStage<G> acquisition, Function<? super G, Optional<Lease>> granted,
                                    AtomicReference<Lease> handedOver, UniEmitter<? super Lease> emitter) {
        CompletableFuture<G> wait = acquisition.toCompletableFuture();
        // on cancellation this ends the wait; once the stage completed it does nothing
        emitter.onTermination(() -> wait.cancel(false));
        wait.whenComplete((result, failure) -> {
            if (failure != null) {
                // after a cancellation the emitter drops it: the wait gave back whatever it had
                emitter.fail(failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure);
                return;
            }
            Lease lease = granted.apply(result).orElse(null);
            handedOver.set(lease);
            emitter.complete(lease); // the subscriber takes it synchronously, unless it has just cancelled
            Lease dropped = handedOver.getAndSet(null);
            if (dropped != null) {
                dropped.closeNowAsync(); // the method never ran: nothing to hold at least
            }
        });
    }

    /** Runs the method under {@code lease} and releases it when the method's {@code Uni} terminates. */
    private static Uni<Object> run(Lease lease, Body body) {
        Uni<Object> work;
        try {
            work = asUni(body.proceed(lease));
        } catch (Exception | Error e) {
            return released(RunOutcome.FAILED, lease).chain(() -> Uni.createFrom().failure(e));
        }
        return work.onTermination().call((item, failure, cancelled) ->
                released(cancelled ? RunOutcome.CANCELLED : RunOutcome.of(failure), lease));
    }

    @SuppressWarnings("unchecked")
    private static Uni<Object> asUni(Object returned) {
        if (returned == null) {
            throw new NullPointerException("a @Locked method declared to return a Uni returned null");
        }
        return (Uni<Object>) returned;
    }

    private static Uni<Void> released(RunOutcome outcome, Lease lease) {
        // a dependent stage: a subscriber that leaves while the release runs cancels this one, not the release
        return Uni.createFrom().completionStage(() -> outcome.release(lease).thenApply(Function.identity()));
    }
}
