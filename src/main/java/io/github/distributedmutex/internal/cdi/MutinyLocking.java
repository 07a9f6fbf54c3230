package io.github.distributedmutex.internal.cdi;

import io.github.distributedmutex.Lease;
import io.smallrye.mutiny.Context;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.smallrye.mutiny.subscription.UniSubscriber;
import io.smallrye.mutiny.subscription.UniSubscription;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
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
 *     <li>once it is held, runs the method ({@code InvocationContext.proceed()}, with the lock's MDC), so eager work
 *     in the method body runs under the lock too, and subscribes to the {@code Uni} it returns;</li>
 *     <li>when that {@code Uni} terminates, releases the lock as {@link RunOutcome} says (an item keeps the minimum
 *     hold, a failure, whatever its type, frees at once), and only then passes the item or failure on.</li>
 * </ol>
 * Where it runs: when the subscribing thread has a Vert.x context ({@link VertxContexts}; on Quarkus the request's
 * duplicated context), the method body and the emissions run on that context; otherwise the body runs on the thread
 * that completed the wait and the emissions on the thread that completed the release (never a Redisson I/O thread).
 *
 * <p>Cancelling the subscription while it waits for the lock cancels the wait, which gives back any grant it got; a
 * grant that arrives just as the subscriber leaves is freed at once, since the method never ran. Cancelling it while
 * the method body runs or its {@code Uni} runs cancels the method's {@code Uni} (once it is subscribed, if the body
 * is still running), and only then releases the lock, with its minimum hold ({@link RunOutcome#UNSUBSCRIBED}).
 * Each subscription locks again; the method runs once per subscription. A skip ({@code onContention = SKIP}) emits
 * the skipped item ({@code null}, or {@code Optional.empty()} for a {@code Uni<Optional<T>>}) without running the
 * method.
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
     * @param skipped the item a skip emits
     * @param body    runs the method under the lock
     * @param <G>     what the acquisition completes with
     * @return the {@code Uni} the caller gets (typed {@code Object}, so that callers need no Mutiny class)
     */
    static <G> Object lockOnSubscription(Supplier<? extends CompletionStage<G>> lock,
                                         Function<? super G, Optional<Lease>> granted, Object skipped, Body body) {
        return Uni.createFrom().emitter(emitter ->
                new Run<G>(emitter, granted, skipped, body, VertxContexts.capture()).start(lock));
    }

    /**
     * One subscription: the wait, the method's run and its {@code Uni}. Its state is guarded by {@code this}; no
     * foreign code runs while the monitor is held.
     */
    private static final class Run<G> implements UniSubscriber<Object> {

        private final UniEmitter<Object> emitter;
        private final Function<? super G, Optional<Lease>> granted;
        private final Object skipped;
        private final Body body;
        /** The subscriber's Vert.x context, or the calling thread. */
        private final Executor onContext;

        private CompletableFuture<G> wait;
        /** The subscriber left. */
        private boolean cancelled;
        /** The run's outcome is decided: no other path releases or emits. */
        private boolean ended;
        /** Granted, the method not started yet: whoever takes it out owns it. */
        private Lease grantedLease;
        /** Held by the running method. */
        private Lease running;
        /** The subscription to the method's {@code Uni}. */
        private UniSubscription inner;

        Run(UniEmitter<Object> emitter, Function<? super G, Optional<Lease>> granted, Object skipped, Body body,
            Executor onContext) {
            this.emitter = emitter;
            this.granted = granted;
            this.skipped = skipped;
            this.body = body;
            this.onContext = onContext;
        }

        void start(Supplier<? extends CompletionStage<G>> lock) {
            emitter.onTermination(this::terminated);
            CompletableFuture<G> acquisition = lock.get().toCompletableFuture();
            boolean gone;
            synchronized (this) {
                wait = acquisition;
                gone = cancelled;
            }
            if (gone) {
                acquisition.cancel(false); // gives back whatever it got
                return;
            }
            acquisition.whenComplete(this::acquired);
        }

        /** The emitter terminated: after an emission of ours (nothing to do), or the subscriber left. */
        private void terminated() {
            CompletableFuture<G> acquisition;
            Lease free;
            UniSubscription work;
            synchronized (this) {
                if (ended || cancelled) {
                    return;
                }
                cancelled = true;
                acquisition = wait;
                free = grantedLease;
                grantedLease = null;
                work = inner;
            }
            if (acquisition != null) {
                acquisition.cancel(false); // ends the wait; once the stage completed it does nothing
            }
            if (free != null) {
                free.closeNowAsync(); // the method never ran: nothing to hold at least
            }
            if (work != null) {
                work.cancel(); // first the work is told to stop, then the lock is released
                end(RunOutcome.UNSUBSCRIBED, null, null);
            }
            // the method body is running: onSubscribe cancels its Uni, or the body throws
        }

        private void acquired(G result, Throwable failure) {
            if (failure != null) {
                if (claimEnd()) { // after a cancellation it is dropped: the wait gave back whatever it had
                    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                    onContext.execute(() -> emitter.fail(cause));
                }
                return;
            }
            Lease lease = granted.apply(result).orElse(null);
            if (lease == null) {
                if (claimEnd()) {
                    onContext.execute(() -> emitter.complete(skipped));
                }
                return;
            }
            synchronized (this) {
                if (!cancelled) {
                    grantedLease = lease;
                    lease = null;
                }
            }
            if (lease != null) {
                lease.closeNowAsync(); // the subscriber left as it was granted
                return;
            }
            onContext.execute(this::runBody);
        }

        private synchronized boolean claimEnd() {
            if (ended || cancelled) {
                return false;
            }
            ended = true;
            return true;
        }

        private void runBody() {
            Lease lease;
            synchronized (this) {
                lease = grantedLease;
                grantedLease = null;
                if (lease == null) {
                    return; // the subscriber left, the lease was freed
                }
                running = lease;
            }
            Uni<Object> work;
            try {
                work = asUni(body.proceed(lease));
            } catch (Exception | Error e) {
                end(RunOutcome.FAILED, null, e);
                return;
            }
            work.subscribe().withSubscriber(this);
        }

        @Override
        public Context context() {
            return emitter.context();
        }

        @Override
        public void onSubscribe(UniSubscription subscription) {
            boolean gone;
            synchronized (this) {
                gone = cancelled;
                if (!gone) {
                    inner = subscription;
                }
            }
            if (gone) { // the subscriber left while the method body ran
                subscription.cancel();
                end(RunOutcome.UNSUBSCRIBED, null, null);
            }
        }

        @Override
        public void onItem(Object item) {
            end(RunOutcome.SUCCEEDED, item, null);
        }

        @Override
        public void onFailure(Throwable failure) {
            // a failure is a failure, a CancellationException too: only the subscriber leaving is a cancellation
            end(RunOutcome.FAILED, null, failure);
        }

        /** Releases the running lease as {@code outcome} says, then emits, unless the subscriber left. */
        private void end(RunOutcome outcome, Object item, Throwable failure) {
            Lease lease;
            boolean emit;
            synchronized (this) {
                if (ended || running == null) {
                    return;
                }
                ended = true;
                lease = running;
                running = null;
                emit = !cancelled;
            }
            outcome.release(lease).whenComplete((ignored, never) -> {
                if (emit) {
                    onContext.execute(() -> {
                        if (failure != null) {
                            emitter.fail(failure);
                        } else {
                            emitter.complete(item);
                        }
                    });
                }
            });
        }
    }

    @SuppressWarnings("unchecked")
    private static Uni<Object> asUni(Object returned) {
        if (returned == null) {
            throw new NullPointerException("a @Locked method declared to return a Uni returned null");
        }
        return (Uni<Object>) returned;
    }
}
