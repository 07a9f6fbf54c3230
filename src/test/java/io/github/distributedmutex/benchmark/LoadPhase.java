package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.internal.config.Fairness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * One measured phase of a load run, as every worker JVM runs it: {@code threads} threads per JVM
 * loop over lock, hold for {@code insideMicros}, unlock, work outside the lock for
 * {@code outsideMicros}; either all on one key ({@code hotKey}) or each cycle on a fresh key of
 * its own. The first {@code warmupMillis} are not counted; then operations that start within the
 * next {@code measureMillis} are. Phases travel to worker JVMs as text ({@link #encode}).
 *
 * @param name            unique within the run, used in keys and file names
 * @param contender       who locks
 * @param threads         threads per JVM
 * @param hotKey          whether all threads of all JVMs use one key
 * @param insideMicros    time holding the lock per cycle
 * @param outsideMicros   time outside the lock per cycle
 * @param warmupMillis    warm-up, not counted
 * @param measureMillis   measured window
 * @param thresholdMicros the threshold of {@link Contender#ADAPTER_HYBRID}; ignored by the other contenders
 */
record LoadPhase(String name, Contender contender, int threads, boolean hotKey, long insideMicros, long outsideMicros,
                 long warmupMillis, long measureMillis, long thresholdMicros) {

    /** A phase with the library's default hybrid threshold ({@link Fairness#DEFAULT_THRESHOLD}). */
    LoadPhase(String name, Contender contender, int threads, boolean hotKey, long insideMicros, long outsideMicros,
              long warmupMillis, long measureMillis) {
        this(name, contender, threads, hotKey, insideMicros, outsideMicros, warmupMillis, measureMillis,
                Fairness.DEFAULT_THRESHOLD.toNanos() / 1_000);
    }

    /** @return the fairness of the contender's adapter in this phase; {@code null} when it is not the library's adapter */
    Fairness fairness() {
        return contender.fairness(Duration.ofNanos(TimeUnit.MICROSECONDS.toNanos(thresholdMicros)));
    }

    /** @return the phase as one token without spaces */
    String encode() {
        return String.join(",", name, contender.id(), Integer.toString(threads), hotKey ? "hot" : "distinct",
                Long.toString(insideMicros), Long.toString(outsideMicros), Long.toString(warmupMillis),
                Long.toString(measureMillis), Long.toString(thresholdMicros));
    }

    /** @return the phases as one system property value */
    static String encodeAll(List<LoadPhase> phases) {
        List<String> encoded = new ArrayList<>();
        phases.forEach(phase -> encoded.add(phase.encode()));
        return String.join(";", encoded);
    }

    /** @return the phases of {@link #encodeAll} */
    static List<LoadPhase> decodeAll(String text) {
        List<LoadPhase> phases = new ArrayList<>();
        for (String item : text.split(";")) {
            String[] f = item.split(",");
            if (f.length != 9) {
                throw new IllegalArgumentException("Not a load phase: " + item);
            }
            phases.add(new LoadPhase(f[0], Contender.byId(f[1]), Integer.parseInt(f[2]), f[3].equals("hot"),
                    Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]),
                    Long.parseLong(f[8])));
        }
        return phases;
    }

    /** @return the time one phase takes at least, warm-up included */
    long plannedMillis() {
        return warmupMillis + measureMillis;
    }

    @Override
    public String toString() {
        Fairness fairness = fairness();
        return String.format(Locale.ROOT, "%s: %s, %d thread(s)/JVM, %s%s", name, contender.id(), threads,
                hotKey ? "hot key" : "distinct keys", fairness == null ? "" : ", fairness " + fairness);
    }
}
