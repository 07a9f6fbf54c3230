package io.github.distributedmutex.it.quarkus.scheduled;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two instances of the packaged Quarkus application ({@code java -jar target/quarkus-app/quarkus-run.jar}),
 * each its own process, against one Redis: the {@code @Scheduled} + {@code @Locked(onContention = SKIP,
 * holdAtLeast = "1500ms")} job runs exactly once per 4 s tick across both; so does the job whose key is
 * per tick ({@code {execution.scheduledFireTime}}) with a minimum hold of 6 s, longer than the period, which
 * a key per job could not have without skipping ticks; the control job (same cron,
 * {@code concurrentExecution = SKIP}, no {@code @Locked}) runs twice per tick, once in each instance.
 */
class ScheduledOnTwoInstancesIT {

    private static final Path APP_JAR = Path.of(System.getProperty("it.app.jar", "target/quarkus-app/quarkus-run.jar"));
    private static final Path WORK_DIR = Path.of(System.getProperty("it.work.dir", "target/it-work"));
    private static final int WINDOW_TICKS = Integer.getInteger("it.window.ticks", 11);
    private static final List<String> JVM_OPTIONS = split(System.getProperty("it.instance.jvm.options", "-Xmx256m"));

    /** Stops whatever instance is still running if the test JVM is ended early. */
    private static final java.util.Set<Process> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly), "stop-instances"));
    }

    private final List<Process> instances = new ArrayList<>();
    private RedisServerProcess server;

    @AfterEach
    void stopEverything() {
        instances.forEach(ScheduledOnTwoInstancesIT::stop);
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theLockedJobRunsOncePerTickAcrossTwoInstancesTheUnlockedOneTwice() throws Exception {
        assertTrue(Files.isRegularFile(APP_JAR), "the packaged application " + APP_JAR + " (quarkus:build)");
        Files.createDirectories(WORK_DIR);
        String url = System.getenv("REDIS_URL");
        String address;
        if (url != null && !url.isBlank()) {
            address = url.trim();
        } else {
            server = RedisServerProcess.start();
            address = server.address();
        }
        String run = UUID.randomUUID().toString().substring(0, 8);
        System.out.println("[ScheduledOnTwoInstancesIT] Redis at " + address
                + (server == null ? " (REDIS_URL)" : " (redis-server pid " + server.pid() + ")") + ", run " + run);

        Map<String, Path> logs = new HashMap<>();
        for (String name : List.of("a", "b")) {
            Path log = WORK_DIR.resolve("instance-" + name + ".log");
            logs.put(name, log);
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(JVM_OPTIONS);
            command.add("-Ddistributedmutex.redis.address=" + address);
            command.add("-Dit.instance.name=" + name);
            command.add("-Dit.run=" + run);
            command.add("-jar");
            command.add(APP_JAR.toString());
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            instances.add(process);
            RUNNING.add(process);
            System.out.println("[ScheduledOnTwoInstancesIT] instance " + name + ": pid " + process.pid() + ", log " + log
                    + ": " + String.join(" ", command));
        }

        // both instances up (each adds its name to a set in Redis at StartupEvent)
        await("both instances started").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    for (int i = 0; i < instances.size(); i++) {
                        String name = i == 0 ? "a" : "b";
                        if (!instances.get(i).isAlive()) {
                            throw new IllegalStateException("instance " + name + " exited with "
                                    + instances.get(i).exitValue() + ":\n" + tail(logs.get(name)));
                        }
                    }
                    return RedisCommands.callForLong(address, "SCARD", DataKeys.started(run)) == 2;
                });

        // the window: WINDOW_TICKS ticks, from the third tick after both are up. Not earlier: the first firings of a
        // freshly started JVM can be late (0.75 s was seen), and the lock of a tick run that late is still held
        // (holdAtLeast) when the next tick fires, so that tick is skipped by both: the limit described in
        // docs/scheduled-jobs.md (holdAtLeast must be shorter than the period minus the lateness)
        long firstTick = tickNow(address) + 3;
        long lastTick = firstTick + WINDOW_TICKS - 1;
        String locked = DataKeys.tickRuns(run, LockedTick.NAME);
        String unlocked = DataKeys.tickRuns(run, UnlockedTick.NAME);
        String perTick = DataKeys.tickRuns(run, PerTickKeyTick.NAME);
        // done when both jobs have counted the tick after the window (in each instance for the control): every
        // firing of the window's ticks is over then
        try {
            await("ticks " + firstTick + ".." + lastTick + " counted")
                    .atMost(Duration.ofSeconds(TickLedger.PERIOD_SECONDS * (WINDOW_TICKS + 2) + 30)).pollInterval(Duration.ofMillis(500))
                    .until(() -> count(address, locked, lastTick + 1) >= 1 && count(address, perTick, lastTick + 1) >= 1
                            && count(address, unlocked, lastTick + 1) >= 2);
        } catch (ConditionTimeoutException e) {
            System.out.println("[ScheduledOnTwoInstancesIT] " + e.getMessage() + "; asserting what was counted");
        }
        for (int i = 0; i < instances.size(); i++) {
            System.out.println("[ScheduledOnTwoInstancesIT] instance " + (i == 0 ? "a" : "b") + " stopped: "
                    + stop(instances.get(i)));
        }

        Map<Long, Long> lockedRuns = runs(address, locked, firstTick, lastTick);
        Map<Long, Long> unlockedRuns = runs(address, unlocked, firstTick, lastTick);
        Map<Long, Long> perTickRuns = runs(address, perTick, firstTick, lastTick);
        Map<String, Integer> lockedByInstance = byInstance(address, DataKeys.tickLog(run, LockedTick.NAME), firstTick, lastTick);
        Map<String, Integer> unlockedByInstance = byInstance(address, DataKeys.tickLog(run, UnlockedTick.NAME), firstTick, lastTick);
        System.out.println("[ScheduledOnTwoInstancesIT] locked job, ticks " + firstTick + ".." + lastTick + ": runs per tick "
                + lockedRuns + ", runs per instance " + lockedByInstance);
        System.out.println("[ScheduledOnTwoInstancesIT] unlocked job (concurrentExecution = SKIP only), runs per tick "
                + unlockedRuns + ", runs per instance " + unlockedByInstance);
        System.out.println("[ScheduledOnTwoInstancesIT] job with a key per tick and holdAtLeast 6 s, runs per tick "
                + perTickRuns);
        System.out.println("[ScheduledOnTwoInstancesIT] locked job log: "
                + RedisCommands.callForList(address, "LRANGE", DataKeys.tickLog(run, LockedTick.NAME), "0", "-1"));

        for (long tick = firstTick; tick <= lastTick; tick++) {
            assertEquals(1L, lockedRuns.get(tick), "runs of the @Locked job in tick " + tick + ": " + lockedRuns
                    + "\ninstance a:\n" + tail(logs.get("a")) + "\ninstance b:\n" + tail(logs.get("b")));
        }
        for (long tick = firstTick; tick <= lastTick; tick++) {
            assertEquals(1L, perTickRuns.get(tick), "runs of the job with a key per tick in tick " + tick + ": "
                    + perTickRuns);
        }
        for (long tick = firstTick; tick <= lastTick; tick++) {
            assertEquals(2L, unlockedRuns.get(tick), "runs of the unlocked control job in tick " + tick + ": " + unlockedRuns);
        }
        assertEquals(Map.of("a", WINDOW_TICKS, "b", WINDOW_TICKS), unlockedByInstance,
                "the control job ran every tick in each instance");
        assertEquals(WINDOW_TICKS, lockedByInstance.values().stream().mapToInt(Integer::intValue).sum());
    }

    private static long tickNow(String address) {
        List<String> time = RedisCommands.callForList(address, "TIME");
        return Long.parseLong(time.get(0)) / TickLedger.PERIOD_SECONDS;
    }

    private static long count(String address, String key, long tick) {
        String value = RedisCommands.call(address, "HGET", key, Long.toString(tick));
        return value == null ? 0 : Long.parseLong(value);
    }

    private static Map<Long, Long> runs(String address, String key, long firstTick, long lastTick) {
        Map<Long, Long> runs = new TreeMap<>();
        for (long tick = firstTick; tick <= lastTick; tick++) {
            runs.put(tick, count(address, key, tick));
        }
        return runs;
    }

    private static Map<String, Integer> byInstance(String address, String logKey, long firstTick, long lastTick) {
        Map<String, Integer> counts = new TreeMap<>();
        for (String line : RedisCommands.callForList(address, "LRANGE", logKey, "0", "-1")) {
            String[] parts = line.split(" ");
            long tick = Long.parseLong(parts[0]);
            if (tick >= firstTick && tick <= lastTick) {
                counts.merge(parts[1], 1, Integer::sum);
            }
        }
        return counts;
    }

    /** SIGTERM (Quarkus shuts down gracefully), SIGKILL after 20 s. */
    private static String stop(Process process) {
        RUNNING.remove(process);
        if (!process.isAlive()) {
            return "already exited with " + process.exitValue();
        }
        process.destroy();
        try {
            if (process.waitFor(20, TimeUnit.SECONDS)) {
                return "pid " + process.pid() + " ended on SIGTERM with " + process.exitValue();
            }
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            return "pid " + process.pid() + " killed after 20 s";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return "pid " + process.pid() + " killed (interrupted)";
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = List.of(Files.readString(log, StandardCharsets.UTF_8).split("\n"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "(no log: " + e + ")";
        }
    }

    private static List<String> split(String options) {
        List<String> list = new ArrayList<>();
        for (String option : options.trim().split("\\s+")) {
            if (!option.isEmpty()) {
                list.add(option);
            }
        }
        return list;
    }
}
