package io.github.distributedmutex.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Turns a run's {@link BenchmarkResults} into {@code results.md} (every figure next to its
 * baseline and the ratio, with the machine, JVM and Redis) and the plots of {@link SvgCharts}.
 */
final class ResultsReport {

    /** File name of the Markdown report. */
    static final String MARKDOWN = "results.md";
    /** File name of the hot key's wait distribution plot (of the 2 JVMs × 4 threads shape; see {@link #waitsPlot}). */
    static final String WAITS_PLOT = "hot-key-waits.svg";
    /** The hot-key shape of the earlier runs, whose plot keeps the name {@link #WAITS_PLOT}. */
    private static final BenchmarkOptions.HotShape FIRST_SHAPE = new BenchmarkOptions.HotShape(2, 4);
    /** File name of the distinct keys' throughput plot. */
    static final String THROUGHPUT_PLOT = "distinct-keys-throughput.svg";

    private static final double ADAPTER_TARGET = 1.10;
    private static final double LOCKED_TARGET = 1.15;
    private static final double P99_TARGET = 20;
    private static final double JAIN_TARGET = 0.95;
    private static final double THROUGHPUT_VS_GO_TARGET = 2;
    private static final double RETAINED_BYTES_PER_KEY_LIMIT = 1;
    private static final double UNOBSERVED_OVERHEAD_TARGET = 1.02;

    private final BenchmarkResults results;
    private final String markdown;

    ResultsReport(BenchmarkResults results) {
        this.results = results;
        this.markdown = render();
    }

    /**
     * The report is committed: paths of this machine (the Redis binary lives under the build's
     * {@code target/}) are shown relative to the working directory, the repository root.
     */
    private static String withoutMachinePaths(String text) {
        String root = Path.of("").toAbsolutePath().toString();
        return text.replace(root + "/", "").replace(root, ".");
    }

    /** @return the file name of the wait distribution plot of a hot-key shape */
    static String waitsPlot(BenchmarkOptions.HotShape shape) {
        return shape.equals(FIRST_SHAPE) ? WAITS_PLOT : "hot-key-waits-" + shape.id() + ".svg";
    }

    /** @return the report */
    String markdown() {
        return markdown;
    }

    /**
     * Writes the report and the plots (replacing an earlier run's).
     *
     * @param directory the results folder
     * @return the Markdown file
     */
    Path write(Path directory) throws IOException {
        Files.createDirectories(directory);
        Path file = directory.resolve(MARKDOWN);
        Files.writeString(file, withoutMachinePaths(markdown), StandardCharsets.UTF_8);
        String note = results.options().smoke() ? " (smoke run: not for publication)" : "";
        // an earlier run's plots would not match this report
        try (DirectoryStream<Path> plots = Files.newDirectoryStream(directory, "hot-key-waits*.svg")) {
            for (Path plot : plots) {
                Files.delete(plot);
            }
        }
        if (results.hotKey() != null) {
            for (Map.Entry<BenchmarkOptions.HotShape, Map<Contender, LoadResult>> shape : results.hotKey().entrySet()) {
                Files.writeString(directory.resolve(waitsPlot(shape.getKey())), SvgCharts.waitDistribution(
                                shape.getValue(), "Wait for the lock on one hot key, " + shape.getKey().label() + note,
                                LockStrategy.WAIT.toMillis()),
                        StandardCharsets.UTF_8);
            }
        }
        if (results.distinctKeys() != null) {
            Files.writeString(directory.resolve(THROUGHPUT_PLOT), SvgCharts.throughput(results.distinctKeys(),
                    "Lock+unlock cycles per second on distinct keys" + note), StandardCharsets.UTF_8);
        } else {
            Files.deleteIfExists(directory.resolve(THROUGHPUT_PLOT));
        }
        return file;
    }

    private String render() {
        StringBuilder md = new StringBuilder();
        BenchmarkOptions options = results.options();
        MachineInfo machine = results.machine();
        md.append("# distributed-mutex benchmark results\n\n");
        if (options.smoke()) {
            md.append("> **Smoke run.** Sizes far too small for the figures to mean anything: it only proves that the")
                    .append(" harness works. Not for publication.\n\n");
        }
        md.append(String.format(Locale.ROOT, "Measured on %s UTC in %d min %02d s, all parts in one run against one Redis.",
                DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").format(results.started().atOffset(ZoneOffset.UTC)),
                results.took().toMinutes(), results.took().toSecondsPart()))
                .append(" Absolute times on a shared machine are noisy, so every figure stands next to a baseline")
                .append(" measured in the same run, and the ratio is what to read.\n\n");
        md.append("| | |\n|---|---|\n");
        md.append("| Machine | ").append(machine.cpu()).append(", ").append(machine.cores()).append(" cores, ")
                .append(machine.memory()).append(", ").append(machine.os()).append(" |\n");
        md.append("| JVM | ").append(machine.jvm())
                .append(results.micro() != null && options.jmhForks() > 0 ? "; JMH forks with `-Xms512m -Xmx512m`" : "")
                .append(results.workerFlags() == null ? "" : "; load workers and the memory probe (separate JVMs, started by"
                        + " the test fixture `JvmProcess`) with `" + results.workerFlags() + "`")
                .append(" |\n");
        md.append("| Redis | ").append(machine.redisVersion()).append(", ").append(machine.redisSource())
                .append(", same machine (loopback) |\n");
        md.append("| Client | Redisson ").append(machine.redisson())
                .append(", configured as the library configures its own (single server, Redisson defaults);")
                .append(" in each JVM one client shared by every contender |\n");
        md.append("| Load average (1 / 5 / 15 min) at the start of each part | ")
                .append(results.loadAverages().entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
                        .collect(Collectors.joining("; ")))
                .append(" |\n");
        md.append("| Command | `mvn -Pbenchmark verify").append(options.smoke() ? " -Dbenchmark.smoke=true" : "")
                .append(options.sections().containsAll(BenchmarkOptions.ALL_SECTIONS) ? ""
                        : " -Dbenchmark.sections=" + String.join(",", options.sections()))
                .append(options.hotShapes().equals(BenchmarkOptions.DEFAULT_HOT_SHAPES) ? ""
                        : " -Dbenchmark.hot.shapes=" + options.hotShapes().stream().map(BenchmarkOptions.HotShape::id)
                                .collect(Collectors.joining(",")))
                .append(options.hotThresholdMicros() == BenchmarkOptions.DEFAULT_THRESHOLD_MICROS ? ""
                        : " -Dbenchmark.fairness.threshold=" + (options.hotThresholdMicros() % 1000 == 0
                                ? options.hotThresholdMicros() / 1000 + "ms"
                                : Duration.ofNanos(options.hotThresholdMicros() * 1000)))
                .append("` |\n\n");

        targets(md);
        micro(md);
        census(md);
        hotKey(md);
        distinctKeys(md);
        memory(md);
        replicaAcks(md);
        md.append("## Reproduce\n\n")
                .append("`mvn -Pbenchmark verify` on a machine that does nothing else (it starts its own Redis as the tests")
                .append(" do, or uses `REDIS_URL`) rewrites this folder.")
                .append(" `-Dbenchmark.sections=micro,census,hot,fairsweep,distinct,memory,acks`")
                .append(" runs a subset; `-Dbenchmark.hot.shapes=2x4,4x8` chooses the hot key's JVMs × threads,")
                .append(" `-Dbenchmark.fairness.threshold=5ms` the hybrid adapter's threshold,")
                .append(" `-Dbenchmark.fairsweep.thresholds=1ms,2ms,5ms,10ms,20ms` those of the sweep. Raw data (every")
                .append(" lock call of the load runs, JMH's own report) is left in")
                .append(" `target/benchmark-work/`. The harness: `src/test/java/io/github/distributedmutex/benchmark/`.\n");
        return md.toString();
    }

    // ---- targets --------------------------------------------------------------------------------

    private void targets(StringBuilder md) {
        if (results.micro() == null && results.census() == null && results.hotKey() == null
                && results.memory() == null) {
            return; // a run of other parts only: no target to judge
        }
        md.append("## Targets\n\n")
                .append("Where a ratio has a confidence interval (the uncontended cycles: ± the 99.9 % interval), the")
                .append(" verdict is taken on the interval, not on the point estimate: *yes* when the whole interval meets")
                .append(" the target, **no** when none of it does, *not shown* when the interval includes the target.")
                .append(" The other rows compare the measured value itself; where its rounding shows the target, the")
                .append(" row says which side of it the value is on.\n\n")
                .append("| Target | Measured | Met |\n|---|---|---|\n");
        MicroBenchmarkRun.Outcome micro = results.micro();
        if (micro != null) {
            cycleTarget(md, Contender.ADAPTER, ADAPTER_TARGET);
            cycleTarget(md, Contender.LEASE, ADAPTER_TARGET);
            cycleTarget(md, Contender.LOCKED, LOCKED_TARGET);
            unobservedTarget(md);
        }
        Map<Contender, RoundTripCensus.Count> census = results.census();
        if (census != null) {
            double lease = census.get(Contender.LEASE).acquireTotal();
            double floor = census.get(Contender.FLOOR).acquireTotal();
            double rlock = census.get(Contender.RLOCK).acquireTotal();
            row(md, "Acquiring with a fencing token costs no extra round trip over a plain acquire",
                    String.format(Locale.ROOT, "Lease acquire (with token): %s command(s); plain SET NX PX: %s; RLock: %s",
                            number(lease, 2), number(floor, 2), number(rlock, 2)),
                    lease <= floor + 0.01 && lease <= rlock + 0.01);
        }
        if (results.hotKey() != null) {
            results.hotKey().forEach((shape, hot) -> {
                hotKeyTargets(md, "Hot key (" + shape.label() + ")", hot);
                fairnessTargets(md, "Hot key (" + shape.label() + ")", hot);
            });
        }
        Map<String, Double> memory = results.memory();
        if (memory != null && memory.containsKey("heap-after-bytes")) {
            double keys = memory.get("keys");
            double delta = memory.get("heap-after-bytes") - memory.get("heap-before-bytes");
            row(md, "No retained per-key memory after release",
                    String.format(Locale.ROOT, "%s keys: retained heap %s (%s bytes/key); per-key state %s; keys left in Redis %s",
                            number(keys, 0), signedBytes(delta), number(delta / keys, 3),
                            number(memory.get("per-key-state"), 0), number(memory.get("redis-keys-left"), 0)),
                    delta / keys < RETAINED_BYTES_PER_KEY_LIMIT && memory.get("per-key-state") == 0
                            && memory.get("redis-keys-left") == 0);
        }
        md.append("\n");
    }

    /** The targets of the barging adapter on one hot-key shape, as in every earlier run. */
    private static void hotKeyTargets(StringBuilder md, String where, Map<Contender, LoadResult> hot) {
        LoadResult adapter = hot.get(Contender.ADAPTER);
        if (adapter == null) {
            return;
        }
        LoadResult go = hot.get(Contender.GO_PACKAGE);
        LoadResult rlock = hot.get(Contender.RLOCK);
        if (go != null) {
            double p99 = go.waitMillis(0.99) / adapter.waitMillis(0.99);
            row(md, where + ": p99 wait at least 20× lower than the Go package strategy",
                    String.format(Locale.ROOT, "%s ms vs %s ms: %s lower", ms(adapter.waitMillis(0.99)),
                            ms(go.waitMillis(0.99)), times(p99)), p99 >= P99_TARGET);
            double throughput = adapter.throughput() / go.throughput();
            row(md, where + ": throughput at least 2× the Go package strategy",
                    String.format(Locale.ROOT, "%s/s vs %s/s: %s", number(adapter.throughput(), 0),
                            number(go.throughput(), 0), timesAgainst(throughput, THROUGHPUT_VS_GO_TARGET)),
                    throughput >= THROUGHPUT_VS_GO_TARGET);
        }
        if (rlock != null) {
            double throughput = adapter.throughput() / rlock.throughput();
            row(md, where + ": throughput at least that of raw RLock",
                    String.format(Locale.ROOT, "%s/s vs %s/s: %s", number(adapter.throughput(), 0),
                            number(rlock.throughput(), 0), timesAgainst(throughput, 1)), throughput >= 1);
        }
        row(md, where + ": max wait never beyond the bounded wait (" + LockStrategy.WAIT.toMillis() + " ms)",
                ms(adapter.maxWaitMillis()) + " ms", adapter.maxWaitMillis() <= LockStrategy.WAIT.toMillis());
        row(md, where + ": no failed acquisition", adapter.failures() + " failed, " + adapter.errors() + " errors",
                adapter.failures() == 0 && adapter.errors() == 0);
    }

    /**
     * Issue 14, on one hot-key shape, for each fair adapter contender ({@link Contender#ADAPTER_FIFO},
     * {@link Contender#ADAPTER_HYBRID}) that ran: p99 wait at most raw RLock's and at least 20× lower than the Go
     * package strategy's, throughput at least RLock's, Jain's index at least 0.95 over the threads and over the JVMs.
     * A row whose baseline did not run is left out.
     *
     * @param md    the report
     * @param where the shape, as the rows name it
     * @param hot   the shape's results by contender
     */
    static void fairnessTargets(StringBuilder md, String where, Map<Contender, LoadResult> hot) {
        LoadResult go = hot.get(Contender.GO_PACKAGE);
        LoadResult rlock = hot.get(Contender.RLOCK);
        for (Contender contender : List.of(Contender.ADAPTER_FIFO, Contender.ADAPTER_HYBRID)) {
            LoadResult fair = hot.get(contender);
            if (fair == null) {
                continue;
            }
            String who = where + ", " + contender.label();
            double p99 = fair.waitMillis(0.99);
            if (rlock != null) {
                double rlockP99 = rlock.waitMillis(0.99);
                row(md, who + ": p99 wait at most raw RLock's (issue 14)",
                        String.format(Locale.ROOT, "%s ms vs %s ms%s", ms(p99), ms(rlockP99),
                                sameWhenRounded(ms(p99), ms(rlockP99), p99, rlockP99)),
                        p99 <= rlockP99);
                double throughput = fair.throughput() / rlock.throughput();
                row(md, who + ": throughput at least that of raw RLock (issue 14)",
                        String.format(Locale.ROOT, "%s/s vs %s/s: %s", number(fair.throughput(), 0),
                                number(rlock.throughput(), 0), timesAgainst(throughput, 1)), throughput >= 1);
            }
            if (go != null) {
                double lower = go.waitMillis(0.99) / p99;
                row(md, who + ": p99 wait at least 20× lower than the Go package strategy (issue 14)",
                        String.format(Locale.ROOT, "%s ms vs %s ms: %s lower", ms(p99), ms(go.waitMillis(0.99)),
                                timesAgainst(lower, P99_TARGET)), lower >= P99_TARGET);
            }
            double threads = fair.jainIndex();
            double jvms = fair.jvmJainIndex();
            row(md, who + ": Jain's index at least " + number(JAIN_TARGET, 2) + ", over the threads and over the JVMs"
                            + " (issue 14)",
                    String.format(Locale.ROOT, "%s over %d threads%s; %s over %d JVMs%s", number(threads, 3),
                            fair.workers(), sameWhenRounded(number(threads, 3), number(JAIN_TARGET, 3), threads,
                                    JAIN_TARGET),
                            number(jvms, 3), fair.processes(), sameWhenRounded(number(jvms, 3),
                                    number(JAIN_TARGET, 3), jvms, JAIN_TARGET)),
                    threads >= JAIN_TARGET && jvms >= JAIN_TARGET);
        }
    }

    /**
     * @return for a value shown as its target is shown, which side of the target it is on ({@code " (rounded; just
     *         below)"}); otherwise nothing
     */
    private static String sameWhenRounded(String shown, String targetShown, double value, double target) {
        if (!shown.equals(targetShown) || value == target) {
            return "";
        }
        return value < target ? " (rounded; just below)" : " (rounded; just above)";
    }

    private void cycleTarget(StringBuilder md, Contender contender, double target) {
        Map<Contender, MicroBenchmarkRun.Score> scores = results.micro().scores();
        MicroBenchmarkRun.Score score = scores.get(contender);
        MicroBenchmarkRun.Score rlock = scores.get(Contender.RLOCK);
        if (score == null || rlock == null) {
            return;
        }
        double ratio = score.micros() / rlock.micros();
        double error = ratioError(score, rlock);
        row(md, contender.label() + " cycle within " + number(target, 2) + "× of raw RLock",
                String.format(Locale.ROOT, "%s µs vs %s µs: %s× (± %s)", number(score.micros(), 1),
                        number(rlock.micros(), 1), number(ratio, 2), number(error, 2)),
                atMostVerdict(ratio, error, target));
    }

    /** Issue 12: nothing observing (no listener, no recorder), the cycle stays within 1.02× of the cycle without hooks. */
    private void unobservedTarget(StringBuilder md) {
        MicroBenchmarkRun.Score hooks = worstHooks();
        MicroBenchmarkRun.Score cycle = results.micro().scores().get(Contender.ADAPTER);
        if (hooks == null || cycle == null) {
            return;
        }
        double[] bound = withoutHooks(cycle, hooks);
        String verdict = bound[2] <= UNOBSERVED_OVERHEAD_TARGET ? verdict(true)
                : bound[1] > UNOBSERVED_OVERHEAD_TARGET ? verdict(false)
                : "not shown: CI " + ratio(bound[1]) + "–" + ratio(bound[2]) + " includes " + number(UNOBSERVED_OVERHEAD_TARGET, 2);
        row(md, "Nothing observing (no listener, no metrics): " + Contender.ADAPTER.label()
                        + " cycle within " + number(UNOBSERVED_OVERHEAD_TARGET, 2) + "× of the same cycle without its event and"
                        + " metric hooks (§ 1, metrics overhead)",
                String.format(Locale.ROOT, "hooks %s ns per cycle vs %s µs: at most %s", number(hooks.micros() * 1000, 1),
                        number(cycle.micros(), 1), ratio(bound[2])), verdict);
    }

    /** @return the costlier per cycle (upper end of its interval) of the two measurements of the hooks, null for none */
    private MicroBenchmarkRun.Score worstHooks() {
        Map<String, MicroBenchmarkRun.Score> overhead = results.micro().overhead();
        MicroBenchmarkRun.Score worst = null;
        for (String name : List.of(MicroBenchmarkRun.HOOKS_NONE, MicroBenchmarkRun.HOOKS_NONE_NOT_INLINED)) {
            MicroBenchmarkRun.Score score = overhead.get(name);
            if (score != null && (worst == null || upper(score) > upper(worst))) {
                worst = score;
            }
        }
        return worst;
    }

    private static double upper(MicroBenchmarkRun.Score score) {
        double end = score.micros() + (Double.isNaN(score.error()) ? 0 : score.error());
        return Double.isNaN(score.slowest()) ? end : Math.max(end, score.slowest());
    }

    /**
     * The cycle as measured over the same cycle without its hooks, {@code c / (c − h)} (the measured cycle includes
     * the hooks), with the ends of its interval: the highest from the fastest cycle and the costliest hooks, the lowest
     * from the slowest cycle and the cheapest hooks. Fastest and costliest are taken from both the 99.9 % interval and
     * the measured iterations, whichever is further out, except that a cycle is never taken faster than its fastest
     * measured iteration: on a loaded machine the interval, which assumes a normal distribution, reaches below zero,
     * while a cycle's time cannot. An interval that is unknown (NaN) counts as zero.
     *
     * @return {point, lowest, highest}
     */
    static double[] withoutHooks(MicroBenchmarkRun.Score cycle, MicroBenchmarkRun.Score hooks) {
        double ce = Double.isNaN(cycle.error()) ? 0 : cycle.error();
        double he = Double.isNaN(hooks.error()) ? 0 : hooks.error();
        double c = cycle.micros();
        double h = hooks.micros();
        double fastest = Double.isNaN(cycle.fastest()) ? c - ce : cycle.fastest();
        double slowest = Double.isNaN(cycle.slowest()) ? c + ce : Math.max(c + ce, cycle.slowest());
        double costliest = Double.isNaN(hooks.slowest()) ? h + he : Math.max(h + he, hooks.slowest());
        double cheapest = Math.max(0, Double.isNaN(hooks.fastest()) ? h - he : Math.min(h - he, hooks.fastest()));
        return new double[] {c / (c - h), slowest / (slowest - cheapest),
                fastest <= costliest ? Double.POSITIVE_INFINITY : fastest / (fastest - costliest)};
    }

    /** @return a ratio close to 1 with enough decimals to show how close: {@code 1.00012×} */
    static String ratio(double ratio) {
        if (Double.isInfinite(ratio)) {
            return "∞";
        }
        double excess = Math.abs(ratio - 1);
        int decimals = excess >= 0.01 ? 2 : excess >= 0.001 ? 3 : excess >= 0.0001 ? 4 : excess >= 0.00001 ? 5 : 6;
        return number(ratio, decimals) + "×";
    }

    /**
     * The verdict on "ratio at most target" judged on the ratio's confidence interval {@code ratio ± error}:
     * {@code yes} when all of it is at most the target, {@code **no**} when all of it is above, otherwise "not
     * shown" with the interval. Without an interval ({@code NaN}), the point estimate decides.
     */
    static String atMostVerdict(double ratio, double error, double target) {
        if (Double.isNaN(error)) {
            return verdict(ratio <= target);
        }
        if (ratio + error <= target) {
            return verdict(true);
        }
        if (ratio - error > target) {
            return verdict(false);
        }
        return "not shown: CI " + number(ratio - error, 2) + "–" + number(ratio + error, 2) + " includes "
                + number(target, 2);
    }

    private static String verdict(boolean met) {
        return met ? "yes" : "**no**";
    }

    private static void row(StringBuilder md, String target, String measured, boolean met) {
        row(md, target, measured, verdict(met));
    }

    private static void row(StringBuilder md, String target, String measured, String verdict) {
        md.append("| ").append(target).append(" | ").append(measured).append(" | ").append(verdict).append(" |\n");
    }

    // ---- 1. uncontended cycles ----------------------------------------------------------------------

    private void micro(StringBuilder md) {
        MicroBenchmarkRun.Outcome micro = results.micro();
        if (micro == null) {
            return;
        }
        md.append("## 1. Floor and uncontended lock+unlock cycle\n\n")
                .append(micro.settings()).append(". One thread, one key per contender, time per lock+unlock cycle")
                .append(" (± the 99.9 % confidence interval). Every contender runs on the same Redisson client;")
                .append(" the `@Locked` bean runs in a Weld SE container whose library uses that client too.\n\n")
                .append("| Operation | µs per cycle | Baseline | Ratio to baseline | Redis commands (acquire + release) |\n")
                .append("|---|---|---|---|---|\n");
        Map<Contender, MicroBenchmarkRun.Score> scores = micro.scores();
        for (Contender contender : List.of(Contender.PING, Contender.FLOOR, Contender.RLOCK, Contender.ADAPTER,
                Contender.LEASE, Contender.LOCKED)) {
            MicroBenchmarkRun.Score score = scores.get(contender);
            if (score == null) {
                continue;
            }
            Contender baseline = switch (contender) {
                case PING -> null;
                case FLOOR -> Contender.PING;
                case RLOCK -> Contender.FLOOR;
                default -> Contender.RLOCK;
            };
            MicroBenchmarkRun.Score base = baseline == null ? null : scores.get(baseline);
            md.append("| ").append(contender.label()).append(" | ").append(number(score.micros(), 1))
                    .append(Double.isNaN(score.error()) ? "" : " ± " + number(score.error(), 1)).append(" | ")
                    .append(base == null ? "–" : baseline.label() + ": " + number(base.micros(), 1) + " µs").append(" | ")
                    .append(base == null ? "–" : number(score.micros() / base.micros(), 2) + " ± "
                            + number(ratioError(score, base), 2))
                    .append(" | ").append(commands(contender)).append(" |\n");
        }
        md.append("\n");
        metricsOverhead(md);
    }

    /** Issue 12's overhead: the hooks of one cycle alone, and a cycle with a Micrometer recorder, in the same run. */
    private void metricsOverhead(StringBuilder md) {
        Map<String, MicroBenchmarkRun.Score> overhead = results.micro().overhead();
        MicroBenchmarkRun.Score cycle = results.micro().scores().get(Contender.ADAPTER);
        if (overhead.isEmpty() || cycle == null) {
            return;
        }
        md.append("### Metrics overhead\n\n")
                .append("The event and metric hooks one uncontended acquire+release cycle of one key executes (the")
                .append(" adapter's `LockEvents`: `recording()` and the metric name only when it is true, `acquired`,")
                .append(" `acquisition`, `released`, with the three clock reads that feed them), alone, in ns per cycle")
                .append(" (`HookBenchmarks`), and the share of the ").append(Contender.ADAPTER.label())
                .append(" cycle above (").append(number(cycle.micros(), 1)).append(" µs) they can take: the cycle")
                .append(" over the same cycle without them, `c / (c − h)`; its interval pairs the fastest cycle with the")
                .append(" costliest hooks and the other way round, each the further out of its 99.9 % interval end and its")
                .append(" extreme measured iteration, except that the cycle is never taken faster than its fastest measured")
                .append(" iteration (under load the normal interval reaches below zero). *Not inlined* keeps every `LockEvents` method a real call; Micrometer is the recorder")
                .append(" the library builds for a `SimpleMeterRegistry` bean, which nothing exports.\n\n")
                .append("| Hooks of one cycle | ns per cycle | Cycle over cycle without them (interval) |\n|---|---|---|\n");
        for (String name : List.of(MicroBenchmarkRun.HOOKS_NONE, MicroBenchmarkRun.HOOKS_NONE_NOT_INLINED,
                MicroBenchmarkRun.HOOKS_MICROMETER)) {
            MicroBenchmarkRun.Score hooks = overhead.get(name);
            if (hooks == null) {
                continue;
            }
            double[] bound = withoutHooks(cycle, hooks);
            md.append("| ").append(switch (name) {
                case MicroBenchmarkRun.HOOKS_NONE -> "Nothing observing (`LockEvents.NONE`)";
                case MicroBenchmarkRun.HOOKS_NONE_NOT_INLINED -> "Nothing observing, not inlined";
                default -> "Micrometer recorder, `SimpleMeterRegistry`";
            }).append(" | ").append(number(hooks.micros() * 1000, 1))
                    .append(Double.isNaN(hooks.error()) ? "" : " ± " + number(hooks.error() * 1000, 1))
                    .append(" | ").append(ratio(bound[0])).append(" (").append(ratio(bound[1])).append("–")
                    .append(ratio(bound[2])).append(") |\n");
        }
        MicroBenchmarkRun.Score metered = overhead.get(MicroBenchmarkRun.METERED);
        if (metered != null) {
            md.append("\nThe whole cycle with that Micrometer recorder, against the same cycle without a recorder: ")
                    .append(number(metered.micros(), 1))
                    .append(Double.isNaN(metered.error()) ? "" : " ± " + number(metered.error(), 1))
                    .append(" µs vs ").append(number(cycle.micros(), 1))
                    .append(Double.isNaN(cycle.error()) ? "" : " ± " + number(cycle.error(), 1)).append(" µs: ")
                    .append(number(metered.micros() / cycle.micros(), 2)).append("× ± ")
                    .append(number(ratioError(metered, cycle), 2)).append(".\n");
        }
        md.append("\n");
    }

    private String commands(Contender contender) {
        Map<Contender, RoundTripCensus.Count> census = results.census();
        if (census == null || !census.containsKey(contender)) {
            return "–";
        }
        RoundTripCensus.Count count = census.get(contender);
        if (contender == Contender.PING || contender == Contender.LOCKED) {
            return number(count.acquireTotal(), 2) + " per call";
        }
        return number(count.acquireTotal(), 2) + " + " + number(count.releaseTotal(), 2);
    }

    // ---- 2. commands ------------------------------------------------------------------------------

    private void census(StringBuilder md) {
        Map<Contender, RoundTripCensus.Count> census = results.census();
        if (census == null) {
            return;
        }
        md.append("## 2. Redis round trips per operation\n\n")
                .append(String.format(Locale.ROOT, "Seen by the Redis server (`MONITOR`) over %d uncontended operations",
                        results.options().censusOperations()))
                .append(" on distinct keys. Every command a client sends is one round trip (nothing is pipelined);")
                .append(" the commands a script runs inside the server cost server time only, and are counted apart.")
                .append(" Keep-alive `PING`s are left out.\n\n")
                .append("| Contender | Sent per acquire (per call) | Sent per release | Run inside scripts (acquire + release) |\n")
                .append("|---|---|---|---|\n");
        census.forEach((contender, count) -> md.append("| ").append(contender.label()).append(" | ")
                .append(byCommand(count.acquire())).append(" | ")
                .append(count.release().isEmpty() ? "–" : byCommand(count.release())).append(" | ")
                .append(number(count.acquireInScript(), 2)).append(" + ").append(number(count.releaseInScript(), 2))
                .append(" |\n"));
        md.append("\n");
    }

    private static String byCommand(Map<String, Double> commands) {
        if (commands.isEmpty()) {
            return "0";
        }
        return commands.entrySet().stream().map(e -> number(e.getValue(), 2) + " " + e.getKey().toUpperCase(Locale.ROOT))
                .collect(Collectors.joining(" + "));
    }

    // ---- 3. hot key -------------------------------------------------------------------------------

    private void hotKey(StringBuilder md) {
        Map<BenchmarkOptions.HotShape, Map<Contender, LoadResult>> shapes = results.hotKey();
        Map<Long, LoadResult> sweep = results.fairSweep();
        if (shapes == null && sweep == null) {
            return;
        }
        BenchmarkOptions o = results.options();
        md.append("## 3. One hot key\n\n")
                .append(String.format(Locale.ROOT, "Several JVMs × threads on one key. Each loop: lock, %s ms holding it,"
                                + " unlock, %s ms of work outside the lock. Per shape, all contenders run in one run of the"
                                + " shape's JVMs, %d round(s) of %s s each measured after %s s of warm-up, the order reversed"
                                + " every other round. The library's adapter runs three times: barging (`Fairness.BARGING`,"
                                + " set explicitly: the contender of the earlier runs), fifo, and hybrid with a %s ms"
                                + " threshold (`distributedmutex.fairness`, `distributedmutex.fairness-threshold`)."
                                + " Every contender waits at most %d s"
                                + " (the library's default wait; `tryLock(5 s, 60 s)` for RLock and RFairLock; 1 + 20"
                                + " attempts 250 ms apart"
                                + " for the Go package, which then ran the critical section without the lock: here that counts"
                                + " as a failed acquisition and the section is skipped). The wait is the time spent in the lock"
                                + " call, failed attempts included. Jain's index is over the threads' acquisition counts, and"
                                + " over the JVMs' (1 = perfectly even). Longest JVM streak: the most consecutive"
                                + " acquisitions by one JVM, in the order the lock was held, which is the order of the"
                                + " critical sections on the machine-wide monotonic clock (`System.nanoTime()`, taken after"
                                + " the lock call returned and before the release call: sections inside holds that exclude"
                                + " one another), the acquisitions of the warm-up recorded too so that none is missing."
                                + " Lock held: the share of the time some thread held the lock (the"
                                + " rest is hand-over and idle time). Hand-over: from one holder's release call to the next"
                                + " holder's return from its lock call. Overlaps: critical sections that began before another"
                                + " had ended, on the machine-wide monotonic clock (must be 0).\n\n",
                        number(o.hotInsideMicros() / 1000.0, 1), number(o.hotOutsideMicros() / 1000.0, 1),
                        o.hotRounds(), number(o.hotMeasureMillis() / 1000.0, 1),
                        number(o.hotWarmupMillis() / 1000.0, 1), number(o.hotThresholdMicros() / 1000.0, 1),
                        LockStrategy.WAIT.toSeconds()));
        if (shapes != null) {
            shapes.forEach((shape, hot) -> hotShape(md, shape, hot));
        }
        if (sweep != null) {
            fairSweep(md, sweep);
        }
    }

    private static void hotShape(StringBuilder md, BenchmarkOptions.HotShape shape, Map<Contender, LoadResult> hot) {
        md.append("### ").append(shape.label()).append("\n\n");
        Map<String, LoadResult> rows = new LinkedHashMap<>();
        hot.forEach((contender, result) -> rows.put(contender.label(), result));
        loadTable(md, "Contender", rows);
        StringBuilder ratios = new StringBuilder();
        for (Contender adapterContender : List.of(Contender.ADAPTER, Contender.ADAPTER_FIFO, Contender.ADAPTER_HYBRID)) {
            LoadResult adapter = hot.get(adapterContender);
            if (adapter == null) {
                continue;
            }
            for (Contender baseline : List.of(Contender.RLOCK, Contender.RFAIRLOCK, Contender.GO_PACKAGE)) {
                LoadResult b = hot.get(baseline);
                if (b != null) {
                    ratios.append("| ").append(adapterContender.label()).append(" | ").append(baseline.label())
                            .append(" | ").append(times(adapter.throughput() / b.throughput())).append(" | ")
                            .append(times(b.waitMillis(0.5) / adapter.waitMillis(0.5))).append(" lower | ")
                            .append(times(b.waitMillis(0.99) / adapter.waitMillis(0.99))).append(" lower | ")
                            .append(number(adapter.jainIndex(), 3)).append(" vs ").append(number(b.jainIndex(), 3))
                            .append(" |\n");
                }
            }
        }
        if (!ratios.isEmpty()) {
            md.append("\nRatios of the Adapter to each baseline:\n\n")
                    .append("| Adapter | Baseline | Throughput | p50 wait | p99 wait | Jain's index (threads) |\n")
                    .append("|---|---|---|---|---|---|\n").append(ratios);
        }
        md.append("\n![Wait-time distribution per contender on the hot key, ").append(shape.label()).append("](")
                .append(waitsPlot(shape)).append(")\n\n");
    }

    private void fairSweep(StringBuilder md, Map<Long, LoadResult> sweep) {
        BenchmarkOptions o = results.options();
        md.append("### Hybrid threshold sweep, ").append(o.hotShapes().get(0).label()).append("\n\n")
                .append(String.format(Locale.ROOT, "%s with each threshold, one round of %s s after %s s of warm-up,"
                                + " in one run; the same loop and figures as above.\n\n",
                        Contender.ADAPTER_HYBRID.label(), number(o.hotMeasureMillis() / 1000.0, 1),
                        number(o.hotWarmupMillis() / 1000.0, 1)));
        Map<String, LoadResult> rows = new LinkedHashMap<>();
        sweep.forEach((micros, result) -> rows.put(number(micros / 1000.0, micros % 1000 == 0 ? 0 : 1) + " ms", result));
        loadTable(md, "Threshold", rows);
        md.append("\n");
    }

    /** One row per result: throughput, waits, failures, fairness, streak, held share, hand-over, overlaps. */
    private static void loadTable(StringBuilder md, String first, Map<String, LoadResult> rows) {
        md.append("| ").append(first).append(" | Acquisitions/s | p50 wait (ms) | p99 wait (ms) | p99.9 wait (ms) |")
                .append(" max wait (ms) | Failed | Errors | Jain's index (threads) | Jain's index (JVMs) |")
                .append(" Longest JVM streak | Lock held (% of time) | Hand-over p50 (ms) | Overlaps |\n")
                .append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        rows.forEach((name, r) -> md.append("| ").append(name).append(" | ")
                .append(number(r.throughput(), 0)).append(" | ").append(ms(r.waitMillis(0.5))).append(" | ")
                .append(ms(r.waitMillis(0.99))).append(" | ").append(ms(r.waitMillis(0.999))).append(" | ")
                .append(ms(r.maxWaitMillis())).append(" | ")
                .append(r.failures()).append(" | ").append(r.errors()).append(" | ").append(number(r.jainIndex(), 3))
                .append(" | ").append(number(r.jvmJainIndex(), 3)).append(" | ")
                .append(r.longestStreak() < 0 ? "–" : Integer.toString(r.longestStreak()))
                .append(" | ").append(number(100 * r.heldShare(), 0)).append(" | ").append(ms(r.gapMillis(0.5)))
                .append(" | ").append(r.overlaps()).append(" |\n"));
    }

    // ---- 4. distinct keys ---------------------------------------------------------------------------

    private void distinctKeys(StringBuilder md) {
        Map<String, Map<Contender, LoadResult>> distinct = results.distinctKeys();
        if (distinct == null) {
            return;
        }
        BenchmarkOptions o = results.options();
        md.append("## 4. Distinct keys\n\n")
                .append(String.format(Locale.ROOT, "Every thread locks and releases a fresh key of its own in a loop,"
                                + " nothing in between: the lock's throughput when nobody contends. %d round(s) of %s s per"
                                + " contender and configuration after %s s of warm-up. Acquisitions per second over all threads.\n\n",
                        o.distinctRounds(), number(o.distinctMeasureMillis() / 1000.0, 1),
                        number(o.distinctWarmupMillis() / 1000.0, 1)))
                .append("| Configuration | Floor (SET NX PX + delete) | Raw RLock | Adapter | Adapter / RLock | Adapter / floor |\n")
                .append("|---|---|---|---|---|---|\n");
        distinct.forEach((configuration, byContender) -> {
            LoadResult floor = byContender.get(Contender.FLOOR);
            LoadResult rlock = byContender.get(Contender.RLOCK);
            LoadResult adapter = byContender.get(Contender.ADAPTER);
            md.append("| ").append(configuration).append(" | ").append(throughput(floor)).append(" | ")
                    .append(throughput(rlock)).append(" | ").append(throughput(adapter)).append(" | ")
                    .append(ratio(adapter, rlock)).append(" | ").append(ratio(adapter, floor)).append(" |\n");
        });
        md.append("\n![Throughput on distinct keys per configuration](").append(THROUGHPUT_PLOT).append(")\n\n");
    }

    private static String throughput(LoadResult result) {
        if (result == null) {
            return "–";
        }
        String text = number(result.throughput(), 0);
        return result.errors() + result.failures() > 0 ? text + " (" + (result.errors() + result.failures()) + " failed)" : text;
    }

    private static String ratio(LoadResult a, LoadResult b) {
        return a == null || b == null || b.throughput() == 0 ? "–" : number(a.throughput() / b.throughput(), 2) + "×";
    }

    // ---- 5. memory --------------------------------------------------------------------------------

    private void memory(StringBuilder md) {
        Map<String, Double> m = results.memory();
        if (m == null) {
            return;
        }
        md.append("## 5. Memory\n\n")
                .append("In a JVM of its own with the serial collector; retained heap is the heap in use after several")
                .append(" full collections (`System.gc()`, `MemoryMXBean`). The key strings are made before the first")
                .append(" reading: they belong to the application. The raw RLock baseline is the `RLock` objects an")
                .append(" application must keep to unlock them. What is left after releasing held locks is bounded by")
                .append(" how many were held at once (hash tables keep their peak size), not by how many keys were used:")
                .append(" the distinct-keys row shows that.\n\n")
                .append("| Figure | Value | Baseline | Ratio |\n|---|---|---|---|\n");
        Double rlock = m.get("held-rlock-bytes-per-lock");
        Double rlockLeft = m.get("held-rlock-released-delta-bytes");
        for (Contender contender : List.of(Contender.LEASE, Contender.ADAPTER)) {
            Double bytes = m.get("held-" + contender.id() + "-bytes-per-lock");
            if (bytes != null) {
                md.append("| Heap per held lock, ").append(contender.label()).append(", ")
                        .append(number(m.get("held-" + contender.id() + "-count"), 0)).append(" held | ")
                        .append(number(bytes, 0)).append(" bytes | raw RLock: ")
                        .append(rlock == null ? "–" : number(rlock, 0) + " bytes").append(" | ")
                        .append(rlock == null ? "–" : number(bytes / rlock, 2) + "×").append(" |\n");
            }
        }
        for (Contender contender : List.of(Contender.LEASE, Contender.ADAPTER)) {
            Double left = m.get("held-" + contender.id() + "-released-delta-bytes");
            if (left != null) {
                md.append("| Heap left after releasing them, ").append(contender.label()).append(" | ")
                        .append(signedBytes(left)).append(" | raw RLock: ")
                        .append(rlockLeft == null ? "–" : signedBytes(rlockLeft)).append(" | – |\n");
            }
        }
        if (m.containsKey("heap-after-bytes")) {
            double before = m.get("heap-before-bytes");
            double after = m.get("heap-after-bytes");
            double keys = m.get("keys");
            md.append("| Retained heap after ").append(number(keys, 0))
                    .append(" distinct keys were locked and released (half `acquire`/`release`, half `Lease`) | ")
                    .append(bytes(after)).append(" (").append(signedBytes(after - before)).append(", ")
                    .append(number((after - before) / keys, 3)).append(" bytes/key) | before: ").append(bytes(before))
                    .append(" | ").append(number(after / before, 3)).append("× |\n");
            md.append("| Per-key state left in the adapter (holds, leases, waiter queues, watchdog tasks) | ")
                    .append(number(m.get("per-key-state"), 0)).append(" | 0 | – |\n");
            md.append("| Keys left in Redis | ").append(number(m.get("redis-keys-left"), 0)).append(" | 0 | – |\n");
            md.append("| Time to lock and release them | ").append(number(m.get("keys-seconds"), 1)).append(" s (")
                    .append(number(keys / m.get("keys-seconds"), 0)).append(" keys/s on ")
                    .append(results.options().memoryThreads()).append(" threads) | – | – |\n");
        }
        md.append("\n");
    }

    // ---- 6. replica acknowledgements ----------------------------------------------------------------

    private void replicaAcks(StringBuilder md) {
        ReplicaAckRun.Outcome acks = results.replicaAcks();
        if (acks == null) {
            return;
        }
        md.append("## 6. Replica acknowledgements (`distributedmutex.replica-acks`)\n\n")
                .append(acks.settings()).append(". ").append(acks.servers()).append(". One thread, one key per")
                .append(" benchmark, time per `Lease` lock/close cycle (± the 99.9 % confidence interval), both")
                .append(" adapters on one Redisson client. With the policy, the acquisition's script call goes out alone,")
                .append(" and after a grant a barrier script and `WAIT 1 1000` go out together on one connection (a second")
                .append(" round trip); the call returns once the replica has acknowledged the barrier, and with it the")
                .append(" grant; the release is not waited for. Commands per acquisition counted by")
                .append(" the master (`INFO commandstats`) over 200 acquisitions.\n\n")
                .append("| Policy | µs per cycle | Ratio to off | Extra per acquisition")
                .append(" | Script calls + `WAIT`s per acquisition |\n")
                .append("|---|---|---|---|---|\n");
        MicroBenchmarkRun.Score off = acks.scores().get("off");
        for (String benchmark : List.of("off", "acks1")) {
            MicroBenchmarkRun.Score score = acks.scores().get(benchmark);
            if (score == null) {
                continue;
            }
            boolean base = benchmark.equals("off");
            md.append("| ").append(base ? "off (default)" : "`replica-acks=1`, timeout 1 s").append(" | ")
                    .append(number(score.micros(), 1))
                    .append(Double.isNaN(score.error()) ? "" : " ± " + number(score.error(), 1)).append(" | ")
                    .append(base || off == null ? "–" : number(score.micros() / off.micros(), 2) + " ± "
                            + number(ratioError(score, off), 2))
                    .append(" | ")
                    .append(base || off == null ? "–" : number(score.micros() - off.micros(), 1) + " µs")
                    .append(" | ").append(number(acks.scriptsPerAcquisition().getOrDefault(benchmark, Double.NaN), 2))
                    .append(" + ").append(number(acks.waitsPerAcquisition().getOrDefault(benchmark, Double.NaN), 2))
                    .append(" |\n");
        }
        ReplicaAckRun.Interleaved mixed = acks.interleaved();
        md.append("\nThe same two cycles alternated in one loop in the driver JVM (").append(number(mixed.pairs(), 0))
                .append(" pairs after as many unmeasured ones, which policy goes first alternating), so that other work")
                .append(" on the machine slows both alike: median ").append(number(mixed.offMedian(), 1))
                .append(" µs off and ").append(number(mixed.acksMedian(), 1)).append(" µs with `replica-acks=1` (")
                .append(times(mixed.acksMedian() / mixed.offMedian())).append("); 90th percentile ")
                .append(number(mixed.offP90(), 1)).append(" and ").append(number(mixed.acksP90(), 1))
                .append(" µs; median difference within a pair ").append(number(mixed.differenceMedian(), 1))
                .append(" µs per acquisition.\n\n");
    }

    // ---- formatting -------------------------------------------------------------------------------

    /** @return the half-width of the confidence interval of {@code a / b}, from theirs; NaN when one is unknown */
    static double ratioError(MicroBenchmarkRun.Score a, MicroBenchmarkRun.Score b) {
        if (Double.isNaN(a.error()) || Double.isNaN(b.error())) {
            return Double.NaN;
        }
        return a.micros() / b.micros() * Math.hypot(a.relativeError(), b.relativeError());
    }

    /**
     * @return a ratio compared with a target: as {@link #times(double)}, saying which side of the target it is on
     *         when the rounding shows the target itself (a ratio of 1.996 against 2: {@code 2.00× (rounded; just
     *         below the target)})
     */
    static String timesAgainst(double ratio, double target) {
        String shown = times(ratio);
        if (!shown.equals(times(target)) || ratio == target) {
            return shown;
        }
        return shown + (ratio < target ? " (rounded; just below the target)" : " (rounded; just above the target)");
    }

    /** @return a ratio with two significant decimals below 10 and one above, for example {@code 0.87×}, {@code 23.4×} */
    static String times(double ratio) {
        return number(ratio, ratio < 10 ? 2 : 1) + "×";
    }

    static String number(double value, int decimals) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "–";
        }
        return String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }

    private static String ms(double millis) {
        if (Double.isNaN(millis)) {
            return "–";
        }
        return number(millis, millis < 10 ? 2 : millis < 100 ? 1 : 0);
    }

    private static String bytes(double bytes) {
        return number(bytes / (1024 * 1024), 1) + " MiB";
    }

    private static String signedBytes(double bytes) {
        String sign = bytes < 0 ? "−" : "+";
        double magnitude = Math.abs(bytes);
        return sign + (magnitude >= 1024 * 1024 ? number(magnitude / (1024 * 1024), 2) + " MiB"
                : number(magnitude / 1024, 1) + " KiB");
    }
}
