/**
 * The benchmark harness: what the lock costs, measured side by side with its baselines in one
 * run against a real Redis, and written as a Markdown report with SVG plots.
 *
 * <p>Run it with {@code mvn -Pbenchmark verify} (about 16 minutes on 2 cores; results in
 * {@code benchmark-results/}), or {@code mvn -Pbenchmark verify -Dbenchmark.smoke=true} for a smoke
 * run of a fraction of a second per part that CI runs so the harness cannot rot (results in
 * {@code target/benchmark-results-smoke/}; it asserts no speed). {@link BenchmarkMain} is the entry
 * point; it measures, in this order:
 * <ol>
 *   <li>the floor and the uncontended lock+unlock cycle with JMH ({@link CycleBenchmarks}: Redis
 *       {@code PING}, {@code SET NX PX} + owner-checked delete, raw Redisson {@code RLock},
 *       {@code Adapter} acquire/release, the {@code Lease} API, a {@code @Locked} method in Weld
 *       SE), all on one Redisson client;</li>
 *   <li>the Redis round trips each of them costs per acquire and per release
 *       ({@link RoundTripCensus}, watching the server with {@code MONITOR});</li>
 *   <li>one hot key and distinct keys under load, in separate JVMs ({@link LoadWorker}, driven
 *       by {@link LoadRun}), for {@code Adapter}, raw {@code RLock}, the Go package's polling
 *       strategy ({@link GoPackageLock}) and the floor; on the hot key, in 2 JVMs × 4 threads and
 *       4 JVMs × 8 threads, also the adapter with fifo and hybrid fairness and raw {@code RFairLock},
 *       with the issue 14 verdicts, and (part {@code fairsweep}) the hybrid adapter over a range of
 *       thresholds;</li>
 *   <li>heap retained per held lock and after a million distinct keys ({@link MemoryProbe});</li>
 *   <li>what {@code distributedmutex.replica-acks=1} costs per acquisition, against the policy off, with JMH on a
 *       master with one replica it starts on loopback ({@link ReplicaAckBenchmarks}, {@link ReplicaAckRun}).</li>
 * </ol>
 *
 * <p>Not here: assertions on speed (the figures are reported, never asserted), and anything the
 * library's tests already prove (mutual exclusion, bounded waits); the load runs only check, as
 * a sanity check of the harness itself, that no two critical sections on the hot key overlapped.
 */
package io.github.distributedmutex.benchmark;
