package io.github.distributedmutex.demo;

import static io.github.distributedmutex.testing.HarnessProperties.intValue;

import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The demo launcher, run by {@code mvn -q -Pdemo verify}: starts several application instances
 * ({@link DemoInstance}), each a separate JVM, lets them contend for the same jobs through one
 * Redis, then proves from the history they wrote that each job ran exactly once and that no two
 * holders of the same lock overlapped.
 *
 * <p>Redis: the environment variable {@code REDIS_URL} or the system property
 * {@code distributedmutex.redis.address} when set (nothing but the run's own keys is touched, and
 * those are deleted at the end); otherwise a {@code redis-server} process started for the run and
 * stopped after it (the one on {@code PATH}, else the Linux or macOS binary inside the
 * {@code embedded-redis} jar).
 *
 * <p>System properties: {@code demo.instances} (default 3), {@code demo.jobs} (default 30),
 * {@code demo.timeout} (seconds the instances may take together, default 90). Exits with 0 and a
 * line starting with {@code OK:} when the run proved it, else with 1 and a line starting with
 * {@code FAILED:}.
 */
public final class Demo {

    private static final String QUIET_FIXTURE_LOG = "org.slf4j.simpleLogger.log.io.github.distributedmutex.testing";

    private Demo() {
    }

    /**
     * What to run.
     *
     * @param instances how many application instances (JVMs) to start, at least 1
     * @param jobs      how many jobs, ids {@code 1..jobs}, at least 1
     * @param timeout   how long the instances may take together before they are killed
     */
    public record Options(int instances, int jobs, Duration timeout) {

        /** Checks the values. */
        public Options {
            if (instances < 1 || instances > 32) {
                throw new IllegalArgumentException("demo.instances must be between 1 and 32, was " + instances);
            }
            if (jobs < 1 || jobs > 10_000) {
                throw new IllegalArgumentException("demo.jobs must be between 1 and 10000, was " + jobs);
            }
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("demo.timeout must be positive, was " + timeout);
            }
        }

        /** @return the options given as {@code -Ddemo.instances}, {@code -Ddemo.jobs}, {@code -Ddemo.timeout} */
        public static Options fromSystemProperties() {
            return new Options(intValue("demo.instances", 3), intValue("demo.jobs", 30),
                    Duration.ofSeconds(intValue("demo.timeout", 90)));
        }
    }

    /**
     * Runs the demo and exits: 0 when it proved mutual exclusion, 1 otherwise.
     *
     * @param args ignored; see the class documentation for the system properties
     */
    public static void main(String[] args) {
        // the fixture's INFO lines repeat what this launcher prints anyway
        if (System.getProperty(QUIET_FIXTURE_LOG) == null) {
            System.setProperty(QUIET_FIXTURE_LOG, "warn");
        }
        PrintStream out = System.out;
        int status;
        try {
            status = runWithRedis(Options.fromSystemProperties(), out).ok() ? 0 : 1;
        } catch (RuntimeException e) {
            out.println("FAILED: " + e.getMessage());
            e.printStackTrace(out);
            status = 1;
        }
        out.flush();
        System.exit(status);
    }

    /**
     * Finds or starts the Redis, runs the demo against it and prints the report and the verdict.
     *
     * @param options what to run
     * @param out     where to print
     * @return the report
     */
    public static DemoReport runWithRedis(Options options, PrintStream out) {
        String external = System.getenv("REDIS_URL");
        if (external == null || external.isBlank()) {
            external = System.getProperty(DemoStore.ADDRESS_PROPERTY);
        }
        if (external != null && !external.isBlank()) {
            out.println("Using the Redis given in REDIS_URL / -D" + DemoStore.ADDRESS_PROPERTY);
            return run(external.trim(), options, out);
        }
        out.println("Starting a redis-server for this run (set REDIS_URL to use your own)...");
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            out.println("redis-server pid " + redis.pid() + " listens on " + redis.address()
                    + " (binary " + RedisServerProcess.binary() + ")");
            return run(redis.address(), options, out);
        }
    }

    /**
     * Runs the demo against a Redis: starts the instances, streams their output, waits for them,
     * analyses their history, prints the report and the verdict, and deletes the run's keys.
     *
     * @param address the Redis URI, reachable from this machine
     * @param options what to run
     * @param out     where to print
     * @return the report; {@link DemoReport#ok()} tells whether the run proved what it should
     */
    public static DemoReport run(String address, Options options, PrintStream out) {
        Objects.requireNonNull(address, "address");
        if (!RedisCommands.ping(address, Duration.ofSeconds(5))) {
            throw new IllegalStateException("No Redis answers PING at the given address (credentials not shown)");
        }
        String runId = UUID.randomUUID().toString().substring(0, 8);
        DemoStore store = new DemoStore(address, runId);
        long startedAt = System.nanoTime();
        out.printf(Locale.ROOT, "Run %s: %d instances (separate JVMs) x %d jobs, locks \"job:{jobId}\" and \"%s\"%n",
                runId, options.instances(), options.jobs(), NightlyReport.LOCK_KEY);

        List<String> names = new ArrayList<>();
        List<Process> processes = new CopyOnWriteArrayList<>();
        List<Thread> pumps = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Thread killer = new Thread(() -> processes.forEach(Demo::kill), "demo-instance-killer");
        Runtime.getRuntime().addShutdownHook(killer);
        try {
            for (int i = 1; i <= options.instances(); i++) {
                String name = "instance-" + i;
                Process process = start(name, address, runId, options);
                names.add(name);
                processes.add(process);
                pumps.add(pump(name, process, out));
            }
            long deadline = startedAt + options.timeout().toNanos();
            for (int i = 0; i < processes.size(); i++) {
                Process process = processes.get(i);
                String name = names.get(i);
                if (!waitFor(process, deadline)) {
                    kill(process);
                    problems.add(name + " did not finish within " + options.timeout().toSeconds() + " s and was killed");
                } else if (process.exitValue() != 0) {
                    problems.add(name + " exited with code " + process.exitValue());
                }
            }
            for (Thread pump : pumps) {
                pump.join(TimeUnit.SECONDS.toMillis(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            processes.forEach(Demo::kill);
            throw new IllegalStateException("Interrupted while waiting for the instances", e);
        } finally {
            processes.forEach(Demo::kill);
            try {
                Runtime.getRuntime().removeShutdownHook(killer);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook runs anyway
            }
        }

        DemoReport report;
        try {
            report = DemoReport.analyse(store.history(), names, options.jobs(), store.doneCount(), problems);
        } finally {
            store.deleteAll();
        }
        out.println();
        out.printf(Locale.ROOT, "=== Report of run %s (%.1f s) ===%n", runId, (System.nanoTime() - startedAt) / 1e9);
        report.lines().forEach(out::println);
        out.println(report.verdict());
        out.flush();
        return report;
    }

    private static Process start(String name, String address, String runId, Options options) {
        List<String> command = new ArrayList<>(List.of(javaExecutable(),
                // short-lived JVMs on a small machine: start fast rather than peak fast
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"),
                "-Ddemo.instance=" + name,
                "-Ddemo.instances=" + options.instances(),
                "-Ddemo.jobs=" + options.jobs(),
                "-D" + DemoStore.RUN_PROPERTY + "=" + runId,
                "-Ddistributedmutex.key-prefix=" + DemoStore.lockKeyPrefix(runId),
                // the demo's output is the story; library INFO lines stay, Weld's banner goes
                "-Dorg.slf4j.simpleLogger.showDateTime=false",
                "-Dorg.slf4j.simpleLogger.showThreadName=false",
                "-Dorg.jboss.logging.provider=slf4j",
                "-Dorg.slf4j.simpleLogger.log.org.jboss.weld=warn",
                DemoInstance.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        // The address goes in the environment, not on the command line, in case it carries a password.
        builder.environment().put(DemoStore.ADDRESS_VARIABLE, address);
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            return process;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start " + name + " with " + command.get(0), e);
        }
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .filter(command -> Path.of(command).getFileName().toString().startsWith("java"))
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** Copies the instance's output, each line prefixed with its name, until the process closes it. */
    private static Thread pump(String name, Process process, PrintStream out) {
        Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    synchronized (out) {
                        out.println("[" + name + "] " + line);
                    }
                }
            } catch (IOException e) {
                synchronized (out) {
                    out.println("[" + name + "] (output lost: " + e + ")");
                }
            }
        }, "demo-output-" + name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static boolean waitFor(Process process, long deadlineNanos) throws InterruptedException {
        long remaining = Math.max(0, deadlineNanos - System.nanoTime());
        return process.waitFor(remaining, TimeUnit.NANOSECONDS);
    }

    private static void kill(Process process) {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
