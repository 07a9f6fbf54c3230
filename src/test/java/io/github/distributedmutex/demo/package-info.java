/**
 * The runnable demo of distributed-mutex: several application instances, each a separate JVM
 * running a Weld SE container, contend for the same jobs through one Redis, and a launcher proves
 * from the recorded history that every job ran exactly once and that no two holders of the same
 * lock overlapped.
 *
 * <ul>
 *     <li>{@link io.github.distributedmutex.demo.Demo} is the launcher ({@code mvn -q -Pdemo verify}):
 *     it finds or starts a Redis, starts the instances, streams their output and prints the report.</li>
 *     <li>{@link io.github.distributedmutex.demo.DemoInstance} is one application instance. Its beans show
 *     both styles of the library: {@link io.github.distributedmutex.demo.JobProcessor} uses
 *     {@code @Locked("job:{jobId}")}, {@link io.github.distributedmutex.demo.NightlyReport} an injected
 *     {@code Adapter} with {@code tryLock} in try-with-resources and the lease's fencing token.</li>
 *     <li>{@link io.github.distributedmutex.demo.DemoStore} holds the demo's own data in Redis (the "done"
 *     set, the history list), written with a plain RESP client, never through the library.</li>
 *     <li>{@link io.github.distributedmutex.demo.DemoReport} turns the history into the report and the
 *     one-line verdict.</li>
 * </ul>
 *
 * <p>This code lives with the tests because it uses the test fixtures (a real {@code redis-server}
 * process, the raw RESP client) and Weld SE, which are test dependencies; the library jar does not
 * contain it.
 */
package io.github.distributedmutex.demo;
