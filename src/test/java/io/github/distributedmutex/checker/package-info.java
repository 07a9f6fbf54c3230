/**
 * The multi-process correctness harness ("Jepsen-style"): several application instances, each a
 * separate JVM running a Weld SE container with the library, hammer a few keys through
 * {@code @Locked} and {@code Adapter.lock}, record every critical section in a history, and a
 * checker proves from that history that the lock held its promise.
 *
 * <ul>
 *     <li>{@link io.github.distributedmutex.checker.CheckerWorker} is one application instance: M threads
 *     entering critical sections on a small set of keys, each doing a deliberately non-atomic
 *     read-modify-write on a Redis counter, and writing what they did to a history file.</li>
 *     <li>{@link io.github.distributedmutex.checker.CheckedAccounts} is its CDI bean: the {@code @Locked}
 *     path and the {@code Lease} path to the same critical section.</li>
 *     <li>{@link io.github.distributedmutex.checker.Section},
 *     {@link io.github.distributedmutex.checker.FailedAcquisition} and
 *     {@link io.github.distributedmutex.checker.History} are the history and its file format.</li>
 *     <li>{@link io.github.distributedmutex.checker.HistoryChecker} finds overlaps, lost updates and
 *     fencing-token inversions in a history and returns a
 *     {@link io.github.distributedmutex.checker.CheckResult}.</li>
 *     <li>{@link io.github.distributedmutex.checker.CorrectnessRun} starts a Redis, the workers and the
 *     checker; {@code CorrectnessCheckTest} runs it short in every build and, with
 *     {@code -Dchecker.seconds=600}, as a soak.</li>
 * </ul>
 *
 * <p>Fault injection (killing or pausing workers or Redis) does not live here yet: this package
 * checks the healthy case under heavy contention, and checks that the checker itself catches a
 * broken lock.
 */
package io.github.distributedmutex.checker;
