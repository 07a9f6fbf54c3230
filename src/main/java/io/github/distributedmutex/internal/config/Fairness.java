package io.github.distributedmutex.internal.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How a contended lock passes between processes ({@code distributedmutex.fairness},
 * {@code distributedmutex.fairness-threshold}).
 *
 * <ul>
 *   <li>{@link Mode#BARGING}: whoever reaches Redis first after a release takes the lock (Redisson's {@code RLock}
 *       does the same). No queue in Redis; one process can win many hand-overs in a row.</li>
 *   <li>{@link Mode#FIFO}: waiters queue in Redis, in the order Redis saw their second attempt, and a release hands the
 *       lock to the longest-waiting live waiter inside the releasing script.</li>
 *   <li>{@link Mode#HYBRID}: Go's {@code sync.Mutex} rule, decided in Redis at every release and every attempt: a
 *       caller may take a free lock while the longest waiter has waited less than the threshold; once it has waited
 *       longer, the lock is handed to it.</li>
 * </ul>
 *
 * @param mode      the mode
 * @param threshold for {@link Mode#HYBRID}: how long the head of the queue may be overtaken; not negative, at most
 *                  {@link #MAX_THRESHOLD}; ignored by the other modes
 */
public record Fairness(Mode mode, Duration threshold) {

    /** Default of {@code distributedmutex.fairness-threshold}. */
    public static final Duration DEFAULT_THRESHOLD = Duration.ofMillis(10);
    /** The longest threshold: beyond it {@link Mode#HYBRID} is {@link Mode#BARGING} in all but name. */
    public static final Duration MAX_THRESHOLD = Duration.ofMinutes(1);
    /**
     * The default, {@link Mode#HYBRID} at 10 ms: on this project's benchmark it moved 3–4 % more locks per second
     * than fifo on a hot key with the same tail wait and the same fairness (docs/performance.md).
     */
    public static final Fairness DEFAULT = new Fairness(Mode.HYBRID, DEFAULT_THRESHOLD);
    /** Today's behaviour without a queue. */
    public static final Fairness BARGING = new Fairness(Mode.BARGING, DEFAULT_THRESHOLD);

    /** How waiters of one key are served across processes. */
    public enum Mode {
        /** Whoever asks first after a release gets the lock. */
        BARGING,
        /** Strict hand-off to the longest waiter. */
        FIFO,
        /** Newcomers may overtake a waiter until it has waited the threshold; then strict hand-off. */
        HYBRID;

        /** @return the configuration value of this mode */
        public String value() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Checks the invariants. */
    public Fairness {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(threshold, "threshold");
        if (threshold.isNegative() || threshold.compareTo(MAX_THRESHOLD) > 0) {
            throw new IllegalArgumentException("the threshold must be between 0 and " + MAX_THRESHOLD.toMinutes()
                    + " minute, was " + threshold);
        }
    }

    /** @return whether waiters queue in Redis ({@link Mode#FIFO} or {@link Mode#HYBRID}) */
    public boolean queued() {
        return mode != Mode.BARGING;
    }

    /** @return the threshold in microseconds, as the scripts compare it; 0 for {@link Mode#FIFO} */
    public long thresholdMicros() {
        return mode == Mode.FIFO ? 0 : threshold.toNanos() / 1_000;
    }

    /**
     * @param value a configuration value, case-insensitive
     * @return the mode
     * @throws IllegalArgumentException naming the allowed values
     */
    public static Mode mode(String value) {
        for (Mode mode : Mode.values()) {
            if (mode.value().equalsIgnoreCase(value.trim())) {
                return mode;
            }
        }
        throw new IllegalArgumentException("it must be one of barging, fifo, hybrid");
    }

    @Override
    public String toString() {
        return mode == Mode.HYBRID ? "hybrid(" + threshold.toMillis() + " ms)" : mode.value();
    }
}
