package io.github.distributedmutex.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.internal.config.Fairness;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.JvmProcess;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Many waiters at once, in two separate JVMs ({@link WaiterMain}), against a Redis server the test
 * owns: every wait is bounded and ends in the lock or in {@link
 * io.github.distributedmutex.LockNotAcquiredException}, nothing in any output reports an error (in
 * particular not Redisson's "Unable to acquire subscription", which per-lock-channel designs hit
 * when many threads wait), nothing is lost and nobody is stuck.
 *
 * <ul>
 *   <li><b>One hot key, 200 waiters</b> (100 per JVM, each waiting at most {@link #MAX_WAIT}) while
 *   the test holds the key. Once every waiter has called {@code lock} and Redis has counted at least
 *   three acquisition scripts per waiter (its first attempt, the attempt that registers it as a
 *   waiter, and about one re-check after the library's 1 s safety-net wake-up), the test releases
 *   the key. The lock is then handed over one holder at a time: each
 *   holder increments a Redis counter of holders inside the critical section (it must read 1) and
 *   counts itself with a non-atomic GET/SET (the count must equal the successes: no lost update);
 *   every holder's fencing token is distinct and higher than the test's. Every one of the 200 waiters gets
 *   the lock within its wait (the README says so): the hand-overs take about 2 s, the wait is 20 s. This run
 *   uses fair hand-off in FIFO order ({@code distributedmutex.fairness=fifo}, waiters and test alike): with 200
 *   waiters all older than the hybrid default's 5 ms threshold, the default hands over the same way.</li>
 *   <li><b>A thousand keys, a thousand waiters</b> (500 per JVM, each on its own key held by the
 *   test). Once every waiter is registered, the test releases the thousand keys, and every waiter
 *   gets its key within its bound, with a token higher than the test's.</li>
 * </ul>
 *
 * <p>Each JVM reports {@code RESULT acquired=.. notAcquired=.. errors=.. maxWaitMs=.. ...}; the
 * measured figures are printed to the test output.
 */
@SlowTest
class ManyWaitersTest {

    /** The bounded wait of every waiter. */
    static final Duration MAX_WAIT = Duration.ofSeconds(20);
    /** Slack on top of the bound, for a busy 2-core machine. */
    static final Duration SLACK = Duration.ofSeconds(10);

    private static final Duration LONG = Duration.ofSeconds(90);
    private static final LockOptions HELD_BY_TEST = LockOptions.defaults().withMaxWait(Duration.ofSeconds(60))
            .withLease(Duration.ofMinutes(5));
    private static final Pattern RESULT = Pattern.compile("RESULT acquired=(\\d+) notAcquired=(\\d+) errors=(\\d+)"
            + " maxWaitMs=(\\d+) minNotAcquiredWaitMs=(-?\\d+) maxInside=(\\d+) minToken=(\\d+) stuck=(\\d+)");
    private static final String EXPECTED_NOT_ACQUIRED_LOG = "not acquired: somebody else held it for the whole wait";

    @Test
    void twoHundredWaitersOnOneHotKeyGetItOneAtATime() throws Exception {
        int perJvm = 100;
        String hot = "hot";
        List<JvmProcess> jvms = new ArrayList<>();
        try (LogCapture logs = LogCapture.start();
             RedisServerProcess redis = RedisServerProcess.start();
             TestAdapters adapters = TestAdapters.on(redis.address()).withFairness(
                     new Fairness(Fairness.Mode.FIFO, Duration.ZERO))) {
            String address = redis.address();
            String prefix = adapters.settings().keyPrefix();
            RedisAdapter holder = adapters.newInstance();
            Lease held = holder.lock(hot, HELD_BY_TEST);

            for (int j = 0; j < 2; j++) {
                Map<String, String> properties = waiterProperties(address, prefix, "hot", perJvm, hot, 0);
                properties.put(WaiterMain.FAIRNESS, "fifo");
                jvms.add(JvmProcess.start("hot-" + j, WaiterMain.class, properties));
            }
            for (JvmProcess jvm : jvms) {
                jvm.awaitLine("READY"::equals, LONG);
            }
            long scriptsBefore = scriptCalls(address);
            long go = System.nanoTime();
            RedisCommands.call(address, "RPUSH", prefix + "go", "go", "go");
            for (JvmProcess jvm : jvms) {
                jvm.awaitLine(line -> line.startsWith("WAITING "), LONG);
            }
            // first attempt, registering attempt, and (about) one re-check after the 1 s backstop each
            await("every waiter made its first attempts and waited a while").atMost(LONG)
                    .until(() -> scriptCalls(address) - scriptsBefore >= 3L * 2 * perJvm
                            || jvms.stream().anyMatch(jvm -> count(jvm, "RESULT") > 0));
            assertThat(RedisCommands.call(address, "GET", prefix + "sections"))
                    .as("critical sections run while the test held the key").isNull();
            assertThat(held.isHeld()).as("the test still holds the hot key").isTrue();
            long released = System.nanoTime();
            held.close();

            List<Result> results = new ArrayList<>();
            Set<Long> tokens = new HashSet<>();
            long tokenCount = 0;
            for (JvmProcess jvm : jvms) {
                results.add(Result.parse(jvm.awaitLine(line -> line.startsWith("RESULT "), MAX_WAIT.plus(LONG))));
                // the exit also means every line was read (awaitExit joins the output pump)
                assertThat(jvm.awaitExit(LONG)).as("exit code of hot waiter JVM " + jvm.pid()).isZero();
                List<Long> jvmTokens = tokens(jvm);
                tokens.addAll(jvmTokens);
                tokenCount += jvmTokens.size();
            }
            long allDone = System.nanoTime();

            int acquired = 0;
            for (Result result : results) {
                result.assertBoundedAndClean(perJvm);
                assertThat(result.maxInside).as("most holders inside the critical section at once").isEqualTo(1);
                assertThat(result.acquired).as("waiters that got the hot key, in " + result.line).isEqualTo(perJvm);
                acquired += result.acquired;
            }
            assertThat(acquired).as("successes: every one of the 200 waiters got the lock (README)").isEqualTo(2 * perJvm);
            assertThat(tokenCount).as("one token per success").isEqualTo(acquired);
            assertThat(tokens).as("every holder has its own token").hasSize(acquired);
            assertThat(tokens).as("every holder's token is higher than the test's")
                    .allMatch(token -> token > held.fencingToken());
            assertThat(RedisCommands.call(address, "GET", prefix + "sections")).as("sections counted, none lost")
                    .isEqualTo(Integer.toString(acquired));
            assertThat(RedisCommands.call(address, "GET", prefix + "inside")).as("holders inside at the end")
                    .isEqualTo("0");
            assertNoErrorsIn(jvms, logs);
            // nothing left: only the two counters of the check remain in Redis, no lock
            assertThat(RedisCommands.callForList(address, "KEYS", "*"))
                    .containsExactlyInAnyOrder(prefix + "sections", prefix + "inside");
            assertThat(holder.perKeyState()).isZero();

            RedisRestartTest.figure("200 waiters on one hot key in 2 JVMs: key held by the test after the go",
                    TimeUnit.NANOSECONDS.toMillis(released - go));
            RedisRestartTest.figure("200 waiters on one hot key in 2 JVMs: longest wait, maxWait "
                    + MAX_WAIT.toMillis() + " ms", results.stream().mapToLong(r -> r.maxWaitMs).max().orElseThrow());
            RedisRestartTest.figure("200 waiters on one hot key in 2 JVMs: release to every waiter done (JVM exit"
                    + " included)", TimeUnit.NANOSECONDS.toMillis(allDone - released));
            System.out.printf("ManyWaitersTest hot key: %d acquired one at a time, %d not acquired, %d acquisition"
                            + " scripts run by the waiters%n", acquired,
                    results.stream().mapToInt(r -> r.notAcquired).sum(), scriptCalls(address) - scriptsBefore);
            results.forEach(result -> System.out.println("ManyWaitersTest hot key, per JVM: " + result.line));
        } finally {
            for (JvmProcess jvm : jvms) {
                jvm.close();
            }
        }
    }

    @Test
    void aThousandWaitersOnAThousandKeysAllGetTheirs() throws Exception {
        int perJvm = 500;
        int keys = 2 * perJvm;
        List<JvmProcess> jvms = new ArrayList<>();
        try (LogCapture logs = LogCapture.start();
             RedisServerProcess redis = RedisServerProcess.start();
             TestAdapters adapters = TestAdapters.on(redis.address())) {
            String address = redis.address();
            String prefix = adapters.settings().keyPrefix();
            RedisAdapter holder = adapters.newInstance();
            long holdStart = System.nanoTime();
            List<Lease> held = new ArrayList<>();
            for (int i = 0; i < keys; i++) {
                held.add(holder.lock("own-" + i, HELD_BY_TEST));
            }
            Duration holdTook = Duration.ofNanos(System.nanoTime() - holdStart);
            long highestHeldToken = held.stream().mapToLong(Lease::fencingToken).max().orElseThrow();

            for (int j = 0; j < 2; j++) {
                jvms.add(JvmProcess.start("own-" + j, WaiterMain.class, waiterProperties(address, prefix, "own", perJvm,
                        "own", j * perJvm)));
            }
            for (JvmProcess jvm : jvms) {
                jvm.awaitLine("READY"::equals, LONG);
            }
            RedisCommands.call(address, "RPUSH", prefix + "go", "go", "go");
            for (JvmProcess jvm : jvms) {
                String waiting = jvm.awaitLine(line -> line.startsWith("WAITING "), LONG);
                assertThat(waiting).as("every waiter of " + jvm.pid() + " is registered on its key")
                        .contains("keysWithWaiters=" + perJvm);
            }
            long released = System.nanoTime();
            CompletableFuture.allOf(held.stream().map(lease -> lease.closeAsync().toCompletableFuture())
                    .toArray(CompletableFuture[]::new)).get(LONG.toSeconds(), TimeUnit.SECONDS);
            Duration releaseTook = Duration.ofNanos(System.nanoTime() - released);

            List<Result> results = new ArrayList<>();
            for (JvmProcess jvm : jvms) {
                results.add(Result.parse(jvm.awaitLine(line -> line.startsWith("RESULT "), MAX_WAIT.plus(LONG))));
                assertThat(jvm.awaitExit(LONG)).as("exit code of own-key waiter JVM " + jvm.pid()).isZero();
            }
            long allDone = System.nanoTime();

            for (Result result : results) {
                result.assertBoundedAndClean(perJvm);
                assertThat(result.acquired).as("waiters that got their own key, in " + result.line).isEqualTo(perJvm);
                assertThat(result.minToken).as("tokens after the test's release").isGreaterThan(highestHeldToken);
            }
            assertNoErrorsIn(jvms, logs);
            await("no lock left in Redis").atMost(Duration.ofSeconds(30))
                    .until(() -> RedisCommands.callForLong(address, "DBSIZE") == 0);
            assertThat(holder.perKeyState()).isZero();

            RedisRestartTest.figure("1000 waiters on 1000 keys in 2 JVMs: taking the 1000 keys",
                    holdTook.toMillis());
            RedisRestartTest.figure("1000 waiters on 1000 keys in 2 JVMs: releasing the 1000 keys",
                    releaseTook.toMillis());
            RedisRestartTest.figure("1000 waiters on 1000 keys in 2 JVMs: longest wait, maxWait "
                    + MAX_WAIT.toMillis() + " ms", results.stream().mapToLong(r -> r.maxWaitMs).max().orElseThrow());
            RedisRestartTest.figure("1000 waiters on 1000 keys in 2 JVMs: release to all " + keys + " acquired (JVM"
                    + " exit included)", TimeUnit.NANOSECONDS.toMillis(allDone - released));
            results.forEach(result -> System.out.println("ManyWaitersTest own keys, per JVM: " + result.line));
        } finally {
            for (JvmProcess jvm : jvms) {
                jvm.close();
            }
        }
    }

    private static Map<String, String> waiterProperties(String address, String prefix, String mode, int threads,
                                                        String key, int first) {
        Map<String, String> properties = new HashMap<>();
        properties.put(WaiterMain.ADDRESS, address);
        properties.put(WaiterMain.PREFIX, prefix);
        properties.put(WaiterMain.MODE, mode);
        properties.put(WaiterMain.THREADS, Integer.toString(threads));
        properties.put(WaiterMain.KEY, key);
        properties.put(WaiterMain.FIRST, Integer.toString(first));
        properties.put(WaiterMain.MAX_WAIT_MS, Long.toString(MAX_WAIT.toMillis()));
        properties.put(WaiterMain.GO_KEY, prefix + "go");
        properties.put(WaiterMain.INSIDE_KEY, prefix + "inside");
        properties.put(WaiterMain.SECTIONS_KEY, prefix + "sections");
        return properties;
    }

    /** Sum of the EVAL and EVALSHA calls Redis has counted (INFO commandstats): the library's scripts. */
    private static long scriptCalls(String address) {
        long calls = 0;
        for (String line : RedisCommands.call(address, "INFO", "commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_eval:") || line.startsWith("cmdstat_evalsha:")) {
                Matcher matcher = Pattern.compile("calls=(\\d+)").matcher(line);
                if (matcher.find()) {
                    calls += Long.parseLong(matcher.group(1));
                }
            }
        }
        return calls;
    }

    private static long count(JvmProcess jvm, String prefix) {
        return jvm.lines().stream().filter(line -> line.startsWith(prefix)).count();
    }

    private static List<Long> tokens(JvmProcess jvm) {
        String line = jvm.lines().stream().filter(l -> l.startsWith("TOKENS")).findFirst().orElseThrow(
                () -> new AssertionError("no TOKENS line from " + jvm.pid()));
        String list = line.substring("TOKENS".length()).trim();
        return list.isEmpty() ? List.of() : Arrays.stream(list.split(",")).map(Long::valueOf).toList();
    }

    /**
     * No error in any output: no ERROR log line except the documented one for a bounded wait that
     * ran out, no exception, no "Unable to acquire subscription", no unexpected failure report.
     */
    private static void assertNoErrorsIn(List<JvmProcess> jvms, LogCapture logs) {
        for (JvmProcess jvm : jvms) {
            assertThat(jvm.lines()).as("output of waiter JVM " + jvm.pid())
                    .noneMatch(line -> line.contains("Unable to acquire subscription"))
                    .noneMatch(line -> line.startsWith("ERROR-DETAIL"))
                    .noneMatch(line -> line.contains("Exception") || line.contains("\tat "))
                    .noneMatch(line -> line.contains(" ERROR ") && !line.contains(EXPECTED_NOT_ACQUIRED_LOG));
        }
        assertThat(logs.lines("ERROR")).as("errors logged in the test JVM").isEmpty();
    }

    /** One {@code RESULT} line of a {@link WaiterMain}. */
    private static final class Result {
        final String line;
        final int acquired;
        final int notAcquired;
        final int errors;
        final long maxWaitMs;
        final long minNotAcquiredWaitMs;
        final long maxInside;
        final long minToken;
        final long stuck;

        private Result(String line, Matcher matcher) {
            this.line = line;
            acquired = Integer.parseInt(matcher.group(1));
            notAcquired = Integer.parseInt(matcher.group(2));
            errors = Integer.parseInt(matcher.group(3));
            maxWaitMs = Long.parseLong(matcher.group(4));
            minNotAcquiredWaitMs = Long.parseLong(matcher.group(5));
            maxInside = Long.parseLong(matcher.group(6));
            minToken = Long.parseLong(matcher.group(7));
            stuck = Long.parseLong(matcher.group(8));
        }

        static Result parse(String line) {
            Matcher matcher = RESULT.matcher(line);
            assertThat(matcher.matches()).as("a RESULT line: " + line).isTrue();
            return new Result(line, matcher);
        }

        /** Every wait ended, in the lock or in LockNotAcquiredException, within its bound and not before it. */
        void assertBoundedAndClean(int waiters) {
            assertThat(stuck).as("waiters still waiting, in " + line).isZero();
            assertThat(errors).as("waits that ended in another error, in " + line).isZero();
            assertThat(acquired + notAcquired).as("waits accounted for, in " + line).isEqualTo(waiters);
            assertThat(Duration.ofMillis(maxWaitMs)).as("longest wait, in " + line).isLessThan(MAX_WAIT.plus(SLACK));
            if (notAcquired > 0) {
                assertThat(Duration.ofMillis(minNotAcquiredWaitMs)).as("shortest wait that gave up, in " + line)
                        .isGreaterThanOrEqualTo(MAX_WAIT);
            }
        }
    }
}
