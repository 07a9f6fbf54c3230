/**
 * The public API of distributed-mutex: a distributed mutex for Jakarta EE / CDI applications,
 * backed by Redis through Redisson.
 *
 * <p>Applications {@code @Inject} an {@link io.github.distributedmutex.Adapter} or put
 * {@link io.github.distributedmutex.Locked @Locked} on a bean method. A held lock is a
 * {@link io.github.distributedmutex.Lease}. Failures are reported by the two unchecked
 * exceptions {@link io.github.distributedmutex.LockNotAcquiredException} (the bounded wait ran
 * out) and {@link io.github.distributedmutex.LockUnavailableException} (Redis could not answer),
 * both subclasses of {@link io.github.distributedmutex.DistributedMutexException}.
 *
 * <p>For operations: {@link io.github.distributedmutex.LockInfo}, a snapshot of a held lock
 * ({@code Adapter.inspect}, {@code Adapter.heldLocally}), and
 * {@link io.github.distributedmutex.LockEvent}, the asynchronous CDI events the adapter fires.
 *
 * <p>Everything in {@code io.github.distributedmutex.internal} and its subpackages is machinery:
 * it may change in any release and must not be used by applications.
 */
package io.github.distributedmutex;
