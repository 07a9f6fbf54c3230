package io.github.distributedmutex.topology;

import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A real Redis Sentinel process ({@code redis-server <config file> --sentinel}, the same binary as
 * {@link RedisServerProcess#binary()}) on a free port of {@code 127.0.0.1}, monitoring one master.
 *
 * <p>Sentinel rewrites its configuration file at run time, so it needs a writable file rather than command
 * line options: {@link #start(String, int, int, Duration, Duration)} writes one into a fresh temporary
 * directory (the process's working directory, which also receives its log) and starts the binary with that
 * file as first argument. It returns once the sentinel answers {@code PING}. {@link #close()} kills the
 * process with {@code SIGKILL} and waits for it to exit; it is idempotent. A JVM shutdown hook kills the
 * process if the test forgets to (or the JVM exits on a failure).
 */
public final class SentinelProcess implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final int START_ATTEMPTS = 5;

    private final Process process;
    private final int port;
    private final Path directory;
    private final Thread reaper;

    private SentinelProcess(Process process, int port, Path directory) {
        this.process = process;
        this.port = port;
        this.directory = directory;
        this.reaper = new Thread(process::destroyForcibly, "sentinel-reaper-" + port);
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /**
     * Starts a sentinel monitoring the master at {@code 127.0.0.1:masterPort} under {@code masterName}.
     *
     * @param masterName      the name clients ask the sentinels for
     * @param masterPort      port of the master on {@code 127.0.0.1}
     * @param quorum          sentinels that must agree the master is down
     * @param downAfter       {@code down-after-milliseconds}
     * @param failoverTimeout {@code failover-timeout}
     * @return the running sentinel, answering {@code PING}; the caller must {@link #close()} it
     * @throws IllegalStateException if no sentinel could be started within 30 seconds
     */
    public static SentinelProcess start(String masterName, int masterPort, int quorum, Duration downAfter,
                                        Duration failoverTimeout) {
        IllegalStateException last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            int port = RedisServerProcess.freePort();
            try {
                return launch(port, masterName, masterPort, quorum, downAfter, failoverTimeout);
            } catch (IllegalStateException e) {
                last = e; // most likely the port was taken meanwhile: try another one
            }
        }
        throw last;
    }

    private static SentinelProcess launch(int port, String masterName, int masterPort, int quorum, Duration downAfter,
                                          Duration failoverTimeout) {
        Path directory;
        Path config;
        try {
            directory = Files.createTempDirectory("distributed-mutex-sentinel-" + port + "-");
            config = directory.resolve("sentinel.conf");
            Files.writeString(config, String.join("\n",
                    "port " + port,
                    "bind 127.0.0.1",
                    "protected-mode no",
                    "daemonize no",
                    "dir " + directory.toAbsolutePath(),
                    "sentinel monitor " + masterName + " 127.0.0.1 " + masterPort + " " + quorum,
                    "sentinel down-after-milliseconds " + masterName + " " + downAfter.toMillis(),
                    "sentinel failover-timeout " + masterName + " " + failoverTimeout.toMillis(),
                    "sentinel parallel-syncs " + masterName + " 1",
                    ""), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write a sentinel configuration file", e);
        }
        Path log = directory.resolve("sentinel.log");
        Process process;
        try {
            process = new ProcessBuilder(List.of(RedisServerProcess.binary(), config.toAbsolutePath().toString(),
                    "--sentinel"))
                    .directory(directory.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            process.getOutputStream().close();
        } catch (IOException e) {
            throw new IllegalStateException("Could not launch redis-server --sentinel", e);
        }
        SentinelProcess sentinel = new SentinelProcess(process, port, directory);
        try {
            sentinel.awaitReady();
        } catch (RuntimeException e) {
            sentinel.close();
            throw e;
        }
        return sentinel;
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Sentinel on port " + port + " exited with code "
                        + process.exitValue() + "; log: " + logTail());
            }
            try {
                if ("PONG".equals(RedisCommands.call(address(), Duration.ofMillis(500), "PING"))) {
                    return;
                }
            } catch (RuntimeException e) {
                // not listening yet
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("Sentinel on port " + port + " did not answer PING within "
                        + READY_TIMEOUT + "; log: " + logTail());
            }
            // Readiness polling of an external process that is still starting, not test synchronisation.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    /** @return {@code redis://127.0.0.1:PORT}, the sentinel's address */
    public String address() {
        return "redis://127.0.0.1:" + port;
    }

    /** @return the sentinel's port */
    public int port() {
        return port;
    }

    /** @return the last lines of the sentinel's output, for failure messages */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(directory.resolve("sentinel.log"), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Kills the sentinel with {@code SIGKILL} and waits (up to 30 s) until it has exited; idempotent. */
    @Override
    public void close() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("Sentinel pid " + process.pid() + " did not exit after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException e) {
            // the JVM is shutting down already; the hook runs anyway
        }
    }
}
