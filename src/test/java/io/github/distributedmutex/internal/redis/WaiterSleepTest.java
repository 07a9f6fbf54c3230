package io.github.distributedmutex.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** How long a waiter sleeps before its next attempt (a pure function of what the last attempt saw). */
class WaiterSleepTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long BACKSTOP = SECOND;

    @Test
    void aHolderWithNoLeaseLeftMeansTryAgainAtOnceNotAfterTheBackstop() {
        assertThat(AcquisitionLoop.sleepNanos(0, 10 * SECOND, BACKSTOP)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(1));
    }

    @Test
    void aWaiterWakesJustAfterTheHoldersLeaseEnds() {
        assertThat(AcquisitionLoop.sleepNanos(250, 10 * SECOND, BACKSTOP)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(251));
    }

    @Test
    void theBackstopAndTheDeadlineBoundEverySleep() {
        assertThat(AcquisitionLoop.sleepNanos(60_000, 10 * SECOND, BACKSTOP)).isEqualTo(BACKSTOP);
        assertThat(AcquisitionLoop.sleepNanos(60_000, SECOND / 2, BACKSTOP)).isEqualTo(SECOND / 2);
        assertThat(AcquisitionLoop.sleepNanos(-3, 10 * SECOND, BACKSTOP)).as("refused: no lease to wait for")
                .isEqualTo(BACKSTOP);
    }
}
