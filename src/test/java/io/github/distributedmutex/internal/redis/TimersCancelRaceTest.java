package io.github.distributedmutex.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * {@link Timers#scheduleEnd}: {@code AcquisitionLoop.Run.cancelled} relies on "cancel returned false" meaning "the end
 * ran (or runs)": it only then does not send the step that finds the run cancelled. Racing cancels against the timer
 * thread, every end either ran or was prevented by a cancel that said so (an earlier version returned false for an end
 * the timer thread found disarmed, and a cancelled retry pause then hung).
 */
class TimersCancelRaceTest {

    @Test
    void aCancelThatReturnsFalseNeverLosesTheEnd() throws Exception {
        try (Timers timers = new Timers()) {
            int lost = 0;
            int falseReturns = 0;
            for (int i = 0; i < 300_000 && lost == 0; i++) {
                AtomicBoolean ended = new AtomicBoolean();
                Future<?> end = timers.scheduleEnd(() -> ended.set(true), 0, TimeUnit.NANOSECONDS);
                Thread.onSpinWait();
                if (!end.cancel(false)) {
                    falseReturns++;
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                    while (!ended.get() && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                    if (!ended.get()) {
                        lost++;
                    }
                }
            }
            assertThat(lost).as("ends neither run nor reported cancelled (of %d cancels that returned false)",
                    falseReturns).isZero();
        }
    }
}
