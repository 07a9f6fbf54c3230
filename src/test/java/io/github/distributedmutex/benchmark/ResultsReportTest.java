package io.github.distributedmutex.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * A target with a confidence interval is judged on the interval, not on the point estimate. The figures are those
 * of the published run (benchmark-results/results.md): µs per cycle ± the 99.9 % interval, against raw RLock's
 * 297.9 ± 60.0 µs.
 */
class ResultsReportTest {

    @Test
    void aCycleTargetIsMetOnlyWhenItsWholeConfidenceIntervalMeetsIt() {
        MicroBenchmarkRun.Score rlock = new MicroBenchmarkRun.Score(297.9, 60.0, 8);
        // Adapter 279.9 ± 92.1 µs: 0.94 ± 0.36, the interval reaches beyond 1.10
        assertThat(verdict(new MicroBenchmarkRun.Score(279.9, 92.1, 8), rlock, 1.10))
                .isEqualTo("not shown: CI 0.58–1.30 includes 1.10");
        // Lease 260.1 ± 83.8 µs: 0.87 ± 0.33
        assertThat(verdict(new MicroBenchmarkRun.Score(260.1, 83.8, 8), rlock, 1.10))
                .isEqualTo("not shown: CI 0.54–1.20 includes 1.10");
        // @Locked 238.1 ± 40.2 µs: 0.80 ± 0.21, all of it within 1.15
        assertThat(verdict(new MicroBenchmarkRun.Score(238.1, 40.2, 8), rlock, 1.15)).isEqualTo("yes");
        // all of the interval above the target
        assertThat(ResultsReport.atMostVerdict(1.5, 0.2, 1.10)).isEqualTo("**no**");
        // no interval: the point estimate decides
        assertThat(ResultsReport.atMostVerdict(1.05, Double.NaN, 1.10)).isEqualTo("yes");
        assertThat(ResultsReport.atMostVerdict(1.15, Double.NaN, 1.10)).isEqualTo("**no**");
    }

    @Test
    void aRatioNextToItsTargetShowsWhichSideItIsOn() {
        // the published hot-key run: 2.00× in the report, and yet the ≥ 2× target not met
        assertThat(ResultsReport.timesAgainst(1.996, 2)).isEqualTo("2.00× (rounded; just below the target)");
        assertThat(ResultsReport.timesAgainst(2.004, 2)).isEqualTo("2.00× (rounded; just above the target)");
        assertThat(ResultsReport.timesAgainst(2.0, 2)).isEqualTo("2.00×");
        assertThat(ResultsReport.timesAgainst(1.994, 2)).isEqualTo("1.99×");
        assertThat(ResultsReport.timesAgainst(1.058, 1)).isEqualTo("1.06×");
    }

    @Test
    void theHooksShareIsBoundedFromTheEndsOfBothIntervals() {
        // a 200 ± 50 µs cycle, hooks of 20 ± 10 ns: at most 150 / (150 − 0.03)
        double[] bound = ResultsReport.withoutHooks(new MicroBenchmarkRun.Score(200, 50, 8),
                new MicroBenchmarkRun.Score(0.020, 0.010, 8));
        assertThat(bound[0]).isCloseTo(200 / 199.98, within(1e-12));
        assertThat(bound[1]).isCloseTo(250 / 249.99, within(1e-12));
        assertThat(bound[2]).isCloseTo(150 / 149.97, within(1e-12));
        assertThat(ResultsReport.ratio(bound[2])).isEqualTo("1.0002×");
        assertThat(ResultsReport.ratio(1.0312)).isEqualTo("1.03×");
        assertThat(ResultsReport.ratio(1.000012)).isEqualTo("1.00001×");
        // no interval: the point estimate at both ends
        double[] exact = ResultsReport.withoutHooks(new MicroBenchmarkRun.Score(100, Double.NaN, 1),
                new MicroBenchmarkRun.Score(1, Double.NaN, 1));
        assertThat(exact[1]).isEqualTo(exact[0]);
        assertThat(exact[2]).isEqualTo(exact[0]);
        // iterations known: the cycle never faster than its fastest iteration, the hooks as costly as their slowest
        double[] loaded = ResultsReport.withoutHooks(new MicroBenchmarkRun.Score(600, 700, 8, 150, 1500),
                new MicroBenchmarkRun.Score(0.2, 0.05, 8, 0.1, 0.3));
        assertThat(loaded[2]).isCloseTo(150 / 149.7, within(1e-12));
        assertThat(loaded[1]).isCloseTo(1500 / 1499.9, within(1e-12));
        // hooks that could take the whole fastest cycle: no bound
        assertThat(ResultsReport.withoutHooks(new MicroBenchmarkRun.Score(10, 9, 8),
                new MicroBenchmarkRun.Score(0.5, 0.6, 8))[2]).isInfinite();
    }

    private static String verdict(MicroBenchmarkRun.Score score, MicroBenchmarkRun.Score rlock, double target) {
        return ResultsReport.atMostVerdict(score.micros() / rlock.micros(), ResultsReport.ratioError(score, rlock),
                target);
    }
}
