package io.github.distributedmutex.testing;

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
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A separate JVM running a main class from the test classpath: an "application instance" for
 * multi-process tests. Its output (stdout and stderr merged) is collected line by line and echoed
 * to {@code System.out} with the process name as prefix, so tests can wait for a line such as
 * {@code HOLDING token=...}. It can be killed ({@code kill -9}), paused ({@code SIGSTOP}) and
 * resumed ({@code SIGCONT}). Closing it kills it if it still runs, so no JVM outlives a test.
 *
 * <pre>{@code
 * try (JvmProcess holder = JvmProcess.start("holder", LockHolderMain.class, Map.of("k", "v"))) {
 *     String line = holder.awaitLine(l -> l.startsWith("HOLDING"), Duration.ofSeconds(60));
 *     holder.kill();
 * }
 * }</pre>
 *
 * <p>Configuration goes in as system properties, except values in {@code environment}, which go
 * in the environment (use it for a Redis address that may carry a password).
 */
public final class JvmProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private final Thread pump;

    private JvmProcess(String name, Process process, PrintStream echo) {
        this.name = name;
        this.process = process;
        this.pump = new Thread(() -> pump(echo), "jvm-output-" + name);
        pump.setDaemon(true);
        pump.start();
    }

    /**
     * @param name             a short name for the output prefix
     * @param mainClass        a class with a {@code main} method on the test classpath
     * @param systemProperties {@code -D} properties for the new JVM
     * @param environment      extra environment variables
     * @param args             program arguments
     * @return the started process
     */
    public static JvmProcess start(String name, Class<?> mainClass, Map<String, String> systemProperties,
                                   Map<String, String> environment, String... args) {
        return start(name, mainClass, System.getProperty("java.class.path"), List.of(), systemProperties, environment,
                args);
    }

    /**
     * As {@link #start(String, Class, Map, Map, String...)} on another class path, with more JVM options.
     *
     * @param classpath  the new JVM's class path (for example the test class path without some jars)
     * @param jvmOptions options placed before the main class, such as {@code -Xlog:...}
     */
    public static JvmProcess start(String name, Class<?> mainClass, String classpath, List<String> jvmOptions,
                                   Map<String, String> systemProperties, Map<String, String> environment,
                                   String... args) {
        List<String> command = new ArrayList<>(List.of(javaExecutable(),
                // short-lived JVMs on a small machine: start fast rather than peak fast
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k",
                "-cp", classpath,
                "-Dorg.jboss.logging.provider=slf4j",
                "-Dorg.slf4j.simpleLogger.log.org.jboss.weld=warn"));
        command.addAll(jvmOptions);
        systemProperties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            return new JvmProcess(name, process, System.out);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start JVM " + name, e);
        }
    }

    /** As {@link #start(String, Class, Map, Map, String...)} without extra environment. */
    public static JvmProcess start(String name, Class<?> mainClass, Map<String, String> systemProperties,
                                   String... args) {
        return start(name, mainClass, systemProperties, Map.of(), args);
    }

    private static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private void pump(PrintStream echo) {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                }
                echo.println("[" + name + "] " + line);
            }
        } catch (IOException e) {
            echo.println("[" + name + "] (output lost: " + e + ")");
        } finally {
            synchronized (lines) {
                lines.notifyAll();
            }
        }
    }

    /** @return a copy of every line printed so far */
    public List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /**
     * Waits until the process prints a line that matches.
     *
     * @param matching what to wait for
     * @param timeout  the longest wait
     * @return the first matching line
     * @throws AssertionError when the timeout passes or the process ends first; the message
     *                        carries the process's last lines
     */
    public String awaitLine(Predicate<String> matching, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lines) {
            while (true) {
                Optional<String> found = lines.stream().filter(matching).findFirst();
                if (found.isPresent()) {
                    return found.get();
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0 || (!pump.isAlive() && !process.isAlive())) {
                    throw new AssertionError("JVM " + name + " printed no expected line within " + timeout
                            + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")")
                            + "; last lines: " + lines.subList(Math.max(0, lines.size() - 15), lines.size()));
                }
                lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remaining)));
            }
        }
    }

    /**
     * @param timeout the longest wait
     * @return the exit code
     * @throws AssertionError when the process does not end in time
     */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("JVM " + name + " did not exit within " + timeout + "; last lines: "
                    + lines().subList(Math.max(0, lines().size() - 15), lines().size()));
        }
        pump.join(TimeUnit.SECONDS.toMillis(10));
        return process.exitValue();
    }

    /** @return the process id */
    public long pid() {
        return process.pid();
    }

    /** @return whether the process still runs */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** {@code kill -9}: the JVM dies at once, without shutdown hooks or releasing anything. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** {@code SIGSTOP}: the whole JVM freezes, like a very long GC pause. */
    public void pause() {
        signal("-STOP");
    }

    /** {@code SIGCONT}: a paused JVM continues. */
    public void resume() {
        signal("-CONT");
    }

    private void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill(); // SIGKILL ends a paused (SIGSTOPped) JVM too
        }
    }
}
