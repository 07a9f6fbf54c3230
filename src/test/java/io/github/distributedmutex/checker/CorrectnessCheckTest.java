package io.github.distributedmutex.checker;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.testing.ExtendedTest;
import io.github.distributedmutex.testing.SlowTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the correctness harness ({@link CorrectnessRun}) with real worker JVMs, each a Weld SE
 * application, against a real Redis: in a short configuration in every build, and as a soak with
 * {@code mvn test -Dtest=CorrectnessCheckTest -Dchecker.seconds=600} (every {@code checker.*} property of
 * {@link CorrectnessRun.Options#fromSystemProperties(CorrectnessRun.Options)} is honoured). A second test
 * runs the same harness with locking deliberately broken and proves that the checker fails it; a third runs it with
 * strict fifo hand-off ({@code distributedmutex.fairness=fifo}, in CI's second stage: {@link ExtendedTest}); the
 * first uses the library's default (hybrid). Both fair runs also assert that every process gets a fair share.
 */
@SlowTest
class CorrectnessCheckTest {

    /** 3 processes x 4 threads on 3 keys for 15 s, lease and wait 30 s: long enough that nothing expires. */
    static final CorrectnessRun.Options SHORT = new CorrectnessRun.Options(3, 4, 3, Duration.ofSeconds(15), 0,
            Duration.ofSeconds(30), Duration.ofSeconds(30), 1_000, false);

    /** The least operations of the default run ({@link #SHORT}); see the assertion. */
    static final int DEFAULT_RUN_MINIMUM_OPERATIONS = 2_500;

    /** The least Jain's index over the processes' operations with fair hand-off (fifo or hybrid). */
    static final double FAIR_MINIMUM_JAIN = 0.9;

    /**
     * The library's default, hybrid fair hand-off, unless {@code -Dchecker.fairness} says otherwise: the guarantees
     * below, and with fair hand-off every process gets a fair share (Jain's index over the processes' operations at
     * least {@value #FAIR_MINIMUM_JAIN}).
     */
    @Test
    void instancesContendingThroughLockedAndLeasesNeverBreakTheLock() {
        checkFairly(CorrectnessRun.Options.fromSystemProperties(SHORT));
    }

    /** The same run with strict fifo hand-off ({@code distributedmutex.fairness=fifo}) in every worker. */
    @Test
    @ExtendedTest
    void instancesContendingInFifoOrderNeverBreakTheLockAndShareIt() {
        checkFairly(CorrectnessRun.Options.fromSystemProperties(SHORT).withFairness("fifo"));
    }

    private static void checkFairly(CorrectnessRun.Options options) {
        CheckResult result = check(options);
        double jain = jain(result.operationsByProcess().values());
        System.out.printf(Locale.ROOT, "checker (%s): Jain's index over the processes' operations %.3f (%s)%n",
                options.fairness() == null ? "default fairness" : options.fairness(), jain,
                result.operationsByProcess());
        if (!"barging".equalsIgnoreCase(options.fairness())) {
            assertThat(jain).as("Jain's index over the processes' operations with fair hand-off (%s)",
                    result.summary()).isGreaterThanOrEqualTo(FAIR_MINIMUM_JAIN);
        }
    }

    /** Jain's fairness index: 1 when every share is equal, 1/n when one process does everything. */
    static double jain(Collection<? extends Number> shares) {
        double sum = 0;
        double squares = 0;
        for (Number share : shares) {
            sum += share.doubleValue();
            squares += share.doubleValue() * share.doubleValue();
        }
        return squares == 0 ? 0 : sum * sum / (shares.size() * squares);
    }

    private static CheckResult check(CorrectnessRun.Options options) {
        CheckResult result = CorrectnessRun.run(options, System.out);
        String summary = result.summary(); // surefire sends System.out to a report file: repeat it on failure

        assertThat(result.problems()).as("problems of the run (%s)", summary).isEmpty();
        assertThat(result.examples()).as("violations (%s)", summary).isEmpty();
        assertThat(result.overlaps()).as("overlaps (%s)", summary).isZero();
        assertThat(result.lostUpdates()).as("lost updates (%s)", summary).isZero();
        assertThat(result.tokenOrderViolations()).as("token order violations (%s)", summary).isZero();
        assertThat(result.failedAcquisitions()).as("failed acquisitions (%s)", summary).isZero();
        assertThat(result.unprotectedSections()).as("sections that ended after requestNanos + lease, which the "
                + "checker could not judge; the lease is meant to be long enough for none (%s)", summary).isZero();
        assertThat(result.finalCountersChecked()).as(summary).isTrue();
        assertThat(result.clean()).as(summary).isTrue();

        // The default run does 7,000 (load average 9.5, other builds running) to 17,400 (README) operations on a
        // 2-core machine; a lock that costs an extra 20 ms per hand-over did 1,606. A floor of 2,500, far below the
        // most loaded measured run: it must have produced enough contention to mean something, and a lock that
        // became several times slower fails. Other configurations (-Dchecker.*) keep a floor that only asks for
        // some contention.
        int expectedMinimum = options.operations() > 0 ? options.operations()
                : options.withFairness(null).equals(SHORT) ? DEFAULT_RUN_MINIMUM_OPERATIONS
                : (int) Math.min(300, 20 * options.duration().toSeconds());
        assertThat(result.operations()).as("operations (%s)", summary).isGreaterThanOrEqualTo(expectedMinimum);
        assertThat(result.annotationOperations()).as("@Locked operations (%s)", summary).isPositive();
        assertThat(result.leaseOperations()).as("Lease operations (%s)", summary).isPositive();
        assertThat(result.keys()).as(summary).isPositive().isLessThanOrEqualTo(options.keys());
        assertThat(result.threadsPerProcess()).as(summary).isEqualTo(options.threads());
        // every process contributed: at least a twentieth of an even share (the lock is not fair across
        // processes, so shares differ)
        assertThat(result.operationsByProcess()).as("operations per process (%s)", summary).hasSize(options.processes())
                .allSatisfy((process, operations) -> assertThat(operations).as("operations of %s", process)
                        .isGreaterThanOrEqualTo(Math.max(10, result.operations() / options.processes() / 20)));
        return result;
    }

    @Test
    void theHarnessFailsARunWhoseLockProtectsNothing(@TempDir Path histories) {
        // Each thread locks a key of its own, so the sections on acct:0 run concurrently.
        CorrectnessRun.Options broken = new CorrectnessRun.Options(2, 2, 1, Duration.ofSeconds(10), 400,
                Duration.ofSeconds(30), Duration.ofSeconds(30), 1_000, true);

        CheckResult result = CorrectnessRun.run(broken, histories, System.out);

        assertThat(result.problems()).as("problems of the run").isEmpty();
        assertThat(result.operations()).isEqualTo(400);
        assertThat(result.overlaps()).as("overlaps").isPositive();
        assertThat(result.lostUpdates()).as("lost updates").isPositive();
        assertThat(result.tokenOrderViolations()).as("token order violations").isPositive();
        assertThat(result.clean()).isFalse();
    }
}
