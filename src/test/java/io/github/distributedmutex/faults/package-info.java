/**
 * Fault-injection tests: what the lock promises when the things around it fail, against real Redis
 * servers that each test starts for itself, and holders that run as separate JVMs where a process has to
 * die or freeze.
 *
 * <ul>
 *     <li>{@link io.github.distributedmutex.faults.ClientCrashTest}: a holder process is killed with
 *     {@code kill -9}; its lock frees itself when its lease (or its watchdog's last renewal) runs out, and a
 *     waiting instance gets it then, never while the holder lived.</li>
 *     <li>{@link io.github.distributedmutex.faults.GcPauseTest}: a holder frozen with {@code SIGSTOP} (a long
 *     GC pause) past its lease loses the lock to another instance; when it wakes, the
 *     {@link io.github.distributedmutex.faults.FencedRegister} refuses its stale token, and its release
 *     deletes nothing and logs an ERROR.</li>
 *     <li>{@link io.github.distributedmutex.faults.StalledNetworkTest}: the network between a holder and Redis
 *     stalls ({@link io.github.distributedmutex.testing.TcpProxy}); calls fail within their bounded wait, the
 *     lease runs out, another instance takes over, and after the thaw the cut-off holder learns it lost the
 *     lock (watchdog included).</li>
 *     <li>{@link io.github.distributedmutex.faults.RedisRestartTest}: Redis is killed and restarted while
 *     client threads and client JVMs ({@code RedisRestartTest.ClientMain}) lock; calls fail within their bound
 *     while it is down and succeed again afterwards without restarting the clients; a lease held across the
 *     crash is detected as stale by its lower fencing token.</li>
 *     <li>{@link io.github.distributedmutex.faults.ManyWaitersTest}: 200 waiters in two JVMs
 *     ({@link io.github.distributedmutex.faults.WaiterMain}) on one hot key, and 1,000 waiters on 1,000
 *     distinct keys: every wait ends in the lock or {@code LockNotAcquiredException} within its bound, with
 *     no subscription errors.</li>
 * </ul>
 *
 * <p>{@link io.github.distributedmutex.faults.LockHolderMain} is the holder process, and
 * {@link io.github.distributedmutex.faults.FencedRegister} the fenced resource, written the way the README
 * tells users to use fencing tokens. Each test ends with nothing left: processes killed or exited, locks
 * released (or expired), no thread still waiting. The measured figures are printed as lines starting with
 * {@code FAULT FIGURE}.
 */
package io.github.distributedmutex.faults;
