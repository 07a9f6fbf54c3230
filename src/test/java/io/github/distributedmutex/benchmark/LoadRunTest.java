package io.github.distributedmutex.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The longest run of one JVM on the hot key is taken in the order the lock was held, from the first counted
 * acquisition on, with the acquisitions that were not counted filling the order.
 */
class LoadRunTest {

    @Test
    void theLongestStreakCountsConsecutiveHoldsOfOneJvmInTimeOrder() {
        // JVM 1 holds three times in a row (recorded out of order), JVM 0 twice
        assertThat(LoadRun.longestStreak(sections(
                new long[] {30, 39, 1, 1}, new long[] {10, 19, 0, 1}, new long[] {20, 29, 0, 1},
                new long[] {40, 49, 1, 1}, new long[] {50, 59, 1, 1}, new long[] {60, 69, 0, 1}))).isEqualTo(3);
    }

    @Test
    void anUncountedHoldBetweenTwoCountedOnesBreaksTheStreakAndHoldsBeforeTheFirstCountedOneAreLeftOut() {
        assertThat(LoadRun.longestStreak(sections(
                new long[] {0, 1, 1, 0}, new long[] {2, 3, 1, 0}, new long[] {4, 5, 1, 0},
                new long[] {10, 19, 0, 1}, new long[] {20, 29, 1, 0}, new long[] {30, 39, 0, 1},
                new long[] {40, 49, 0, 1}))).isEqualTo(2);
    }

    @Test
    void overlappingHoldsHaveNoOrder() {
        assertThat(LoadRun.longestStreak(sections(new long[] {10, 19, 0, 1}, new long[] {15, 25, 1, 1}))).isEqualTo(-1);
        assertThat(LoadRun.longestStreak(sections())).isZero();
    }

    private static List<long[]> sections(long[]... sections) {
        return new ArrayList<>(List.of(sections));
    }
}
