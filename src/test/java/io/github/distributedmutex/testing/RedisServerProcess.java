package io.github.distributedmutex.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.CodeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real {@code redis-server} process, started by the tests on {@code 127.0.0.1} and controlled through its
 * process id, for tests that need to crash, restart, stall or resume Redis.
 *
 * <p>Contract:
 * <ul>
 *     <li>The executable is {@link #binary()}, chosen once per JVM by the system property
 *     {@value #SERVER_PROPERTY}: unset, blank or {@code auto}, the {@code redis-server} found on {@code PATH},
 *     otherwise the binary bundled in the {@code embedded-redis} test dependency (Redis 6.2), extracted once under
 *     the build's {@code target/} directory (falling back to {@code java.io.tmpdir}); {@code path}, only the one on
 *     {@code PATH}; {@code embedded}, only the bundled one; an absolute path, that executable. Its version
 *     ({@code redis-server --version}) is logged with it, and appended to {@link #VERSIONS_FILE} under the same
 *     directory, where {@code .ci/run} reads which Redis a run used. When the system property
 *     {@value #EXPECT_VERSION_PROPERTY} is set (for example {@code 7.} or {@code 6.2.}), a binary whose version
 *     does not start with it is refused: every start fails with an {@link IllegalStateException} saying so.</li>
 *     <li>The server is launched as
 *     {@code redis-server --port P --bind 127.0.0.1 --save "" --appendonly no --protected-mode no [extra args]}
 *     (plus {@code --enable-debug-command yes} when the binary is Redis 7 or newer, so that {@code DEBUG SLEEP}
 *     works everywhere) in a fresh working directory of its own; therefore it never persists data, and a server
 *     restarted with {@link #startOnPort(int, String...)} always starts empty. Its standard output and error go to
 *     {@link #logFile()}.</li>
 *     <li>{@link #start(String...)} and {@link #startOnPort(int, String...)} return only once the server
 *     answers {@code PING} with {@code PONG} and reports, through {@code INFO server}, the process id of the
 *     launched process (so a foreign server already bound to the port is never mistaken for it). If that does
 *     not happen within 30 seconds, or the process exits first, the process is killed and an
 *     {@link IllegalStateException} carrying the last lines of its output is thrown.</li>
 *     <li>{@link #kill()} sends {@code SIGKILL}, {@link #stop()} (and {@link #close()}) sends {@code SIGTERM} and
 *     escalates to {@code SIGKILL} after a bounded grace period; both return only once the process has exited
 *     and are idempotent. {@link #pause()} and {@link #resume()} send {@code SIGSTOP} and {@code SIGCONT}: a
 *     paused server keeps its port open and accepts TCP connections, but answers nothing until resumed.</li>
 *     <li>A JVM shutdown hook kills every server still running, so no server outlives the test JVM (unless the
 *     JVM itself is killed with {@code SIGKILL}).</li>
 *     <li>Instances are thread-safe. Process control relies on POSIX signals and the {@code kill} command, so
 *     this class supports Linux and macOS only.</li>
 * </ul>
 */
public final class RedisServerProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisServerProcess.class);

    private static final String HOST = "127.0.0.1";
    private static final String EXECUTABLE_NAME = "redis-server";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(50);
    private static final int PROBE_TIMEOUT_MILLIS = 1_000;
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration SIGNAL_TIMEOUT = Duration.ofSeconds(10);
    private static final int START_ATTEMPTS = 5;
    private static final int LOG_TAIL_LINES = 25;

    /**
     * System property choosing the {@code redis-server} binary: {@code auto} (the default), {@code path},
     * {@code embedded} or an absolute path; see {@link #binary()}. Surefire forwards it from
     * {@code mvn -Dredis.server=...}.
     */
    public static final String SERVER_PROPERTY = "redis.server";

    /**
     * System property: when set, the version every Redis the tests use must start with, for example {@code 7.}
     * or {@code 6.2.}; checked against the binary ({@code redis-server --version}) and the shared server
     * ({@code INFO server}, see {@link TestRedis}). Surefire forwards it from {@code mvn -Dredis.expect-version=...}.
     */
    public static final String EXPECT_VERSION_PROPERTY = "redis.expect-version";

    /** File under the fixture directory ({@code target/redis-fixture/}) listing the Redis versions a run used. */
    public static final String VERSIONS_FILE = "redis-versions.txt";

    /** Servers started and not yet known to be stopped; killed by the shutdown hook. */
    private static final Set<RedisServerProcess> RUNNING = ConcurrentHashMap.newKeySet();

    private static final Object BINARY_LOCK = new Object();
    private static Binary resolvedBinary;
    private static RuntimeException binaryFailure;

    static {
        Runtime.getRuntime().addShutdownHook(
                new Thread(RedisServerProcess::killAllRunning, "redis-server-process-reaper"));
    }

    private final Process process;
    private final int port;
    private final Path logFile;
    private boolean paused;

    private RedisServerProcess(Process process, int port, Path logFile) {
        this.process = process;
        this.port = port;
        this.logFile = logFile;
    }

    /**
     * Starts a server on a free port of {@code 127.0.0.1} and waits until it answers {@code PING}. If the
     * chosen port is taken by someone else in the meantime, another free port is tried (a few times).
     *
     * @param extraArgs additional {@code redis-server} arguments appended to the defaults, for example
     *                  {@code "--maxmemory", "10mb"}
     * @return the running, ready server; the caller must {@link #close()} it
     * @throws IllegalStateException if no server could be started and made ready
     */
    public static RedisServerProcess start(String... extraArgs) {
        Objects.requireNonNull(extraArgs, "extraArgs");
        IllegalStateException lastFailure = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            try {
                return launch(freePort(), extraArgs);
            } catch (PortTakenException e) {
                LOG.debug("redis-server could not use its port, attempt {}/{}: {}", attempt, START_ATTEMPTS,
                        e.getMessage());
                lastFailure = e;
            }
        }
        throw lastFailure;
    }

    /**
     * Starts a server on the given port of {@code 127.0.0.1} and waits until it answers {@code PING}; used
     * to restart a server on the port of one that was killed or stopped, so that clients configured with the
     * old address reconnect to it.
     *
     * @param port      TCP port, 1 to 65535; must not be in use
     * @param extraArgs additional {@code redis-server} arguments appended to the defaults
     * @return the running, ready server; the caller must {@link #close()} it
     * @throws IllegalStateException if the server could not be started and made ready, for instance because
     *                               the port is in use
     */
    public static RedisServerProcess startOnPort(int port, String... extraArgs) {
        Objects.requireNonNull(extraArgs, "extraArgs");
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("Not a TCP port: " + port);
        }
        return launch(port, extraArgs);
    }

    /**
     * Returns the absolute path of the {@code redis-server} executable this class launches, resolving it on
     * first use according to the system property {@value #SERVER_PROPERTY}:
     * <ul>
     *     <li>unset, blank or {@code auto}: the first {@code redis-server} on {@code PATH}, otherwise the binary
     *     for this OS and CPU bundled in the {@code embedded-redis} jar (Redis 6.2), extracted (and marked
     *     executable) under the build's {@code target/} directory;</li>
     *     <li>{@code path}: the first {@code redis-server} on {@code PATH}, or a failure;</li>
     *     <li>{@code embedded}: the bundled binary, whatever is on {@code PATH};</li>
     *     <li>an absolute path: that executable.</li>
     * </ul>
     * The choice and the binary's version are logged once, and checked against {@value #EXPECT_VERSION_PROPERTY}
     * when that is set. A failed resolution is not retried: every later call fails the same way.
     *
     * @return absolute path of the executable
     * @throws IllegalStateException    if the chosen binary does not exist (no {@code redis-server} on
     *                                  {@code PATH}, no bundled binary for this platform, no executable at the
     *                                  given path), the extraction fails, or its version is not the expected one
     * @throws IllegalArgumentException if {@value #SERVER_PROPERTY} has another value
     */
    public static String binary() {
        return resolvedBinary().path().toString();
    }

    /**
     * Returns the version of {@link #binary()}, as {@code redis-server --version} reports it.
     *
     * @return the version, for example {@code 7.0.15}
     * @throws IllegalStateException as {@link #binary()}, and if the version cannot be read
     */
    public static RedisVersion binaryVersion() {
        Binary binary = resolvedBinary();
        if (binary.version() == null) {
            throw new IllegalStateException("Could not read the version of " + binary.path()
                    + " with redis-server --version");
        }
        return binary.version();
    }

    /**
     * Tells whether {@value #SERVER_PROPERTY} names a binary ({@code path}, {@code embedded} or a path) rather
     * than leaving the choice to the default; {@link TestRedis} then starts no Testcontainers container.
     *
     * @return {@code true} when the property is set to anything but blank or {@code auto}
     */
    public static boolean binaryChosenExplicitly() {
        String choice = System.getProperty(SERVER_PROPERTY, "").trim();
        return !choice.isEmpty() && !choice.equals("auto");
    }

    /**
     * Returns a TCP port of {@code 127.0.0.1} that was free a moment ago (bound to port 0, read, released).
     * Useful as an address where nothing listens; another process may grab it at any time.
     *
     * @return a port number between 1 and 65535
     * @throws UncheckedIOException if no socket can be bound
     */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not find a free port on " + HOST, e);
        }
    }

    /**
     * Returns the address of this server for Redis clients.
     *
     * @return {@code redis://127.0.0.1:PORT}
     */
    public String address() {
        return "redis://" + HOST + ":" + port;
    }

    /**
     * Returns the TCP port this server listens on.
     *
     * @return the port, also after the server was stopped
     */
    public int port() {
        return port;
    }

    /**
     * Returns the operating-system process id of this server.
     *
     * @return the pid, also after the server was stopped
     */
    public long pid() {
        return process.pid();
    }

    /**
     * Tells whether the process is still running (a paused process is alive).
     *
     * @return {@code true} until the process has exited
     */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Tells whether the server is currently paused by {@link #pause()}.
     *
     * @return {@code true} between {@link #pause()} and {@link #resume()}, {@link #kill()} or {@link #stop()}
     */
    public synchronized boolean isPaused() {
        return paused;
    }

    /**
     * Returns the file receiving the standard output and standard error of the process.
     *
     * @return path of the log file inside the server's own working directory
     */
    public Path logFile() {
        return logFile;
    }

    /**
     * Kills the server abruptly with {@code SIGKILL} (as a crash would; also works on a paused server) and waits
     * until the process has exited. Does nothing if it has already exited.
     *
     * @throws IllegalStateException if the process has not exited within 30 seconds or the wait is interrupted
     */
    public synchronized void kill() {
        process.destroyForcibly();
        awaitExit(EXIT_TIMEOUT, "SIGKILL");
        paused = false;
        RUNNING.remove(this);
    }

    /**
     * Stops the server gracefully with {@code SIGTERM} (resuming it first if paused), escalating to
     * {@code SIGKILL} if it has not exited within 10 seconds, and waits until the process has exited. Does
     * nothing if it has already exited.
     *
     * @throws IllegalStateException if the process has not exited even after {@code SIGKILL} or the wait is
     *                               interrupted
     */
    public synchronized void stop() {
        if (process.isAlive()) {
            if (paused) {
                try {
                    signal("CONT");
                } catch (IllegalStateException e) {
                    LOG.debug("Could not resume paused redis-server pid {} before stopping it", pid(), e);
                }
            }
            process.destroy();
            if (!waitForExit(STOP_GRACE)) {
                LOG.warn("redis-server pid {} ignored SIGTERM for {}, sending SIGKILL", pid(), STOP_GRACE);
                process.destroyForcibly();
                awaitExit(EXIT_TIMEOUT, "SIGKILL");
            }
        }
        paused = false;
        RUNNING.remove(this);
    }

    /**
     * Freezes the server with {@code SIGSTOP}: the process stays alive and its port keeps accepting TCP
     * connections, but no command is answered until {@link #resume()}. Where {@code /proc} exists, returns
     * only once the kernel reports the process as stopped.
     *
     * @throws IllegalStateException if the process is not running or the signal cannot be delivered
     */
    public synchronized void pause() {
        requireAlive("pause");
        signal("STOP");
        paused = true;
        awaitProcState(true);
    }

    /**
     * Unfreezes a server paused by {@link #pause()} with {@code SIGCONT}; it then answers the commands that
     * waited meanwhile. Where {@code /proc} exists, returns only once the kernel reports the process as running.
     *
     * @throws IllegalStateException if the process is not running or the signal cannot be delivered
     */
    public synchronized void resume() {
        requireAlive("resume");
        signal("CONT");
        paused = false;
        awaitProcState(false);
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "RedisServerProcess[pid=" + pid() + ", address=" + address() + ", alive=" + isAlive() + "]";
    }

    // ---------------------------------------------------------------------------------------------------------
    // launching

    private static RedisServerProcess launch(int port, String... extraArgs) {
        String executable = binary();
        Path workDirectory;
        try {
            Path serversDirectory = Files.createDirectories(fixtureRoot().resolve("servers"));
            workDirectory = Files.createTempDirectory(serversDirectory, "redis-" + port + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create a working directory for redis-server", e);
        }
        Path logFile = workDirectory.resolve("redis-server.log");

        List<String> command = new ArrayList<>(List.of(executable,
                "--port", Integer.toString(port),
                "--bind", HOST,
                "--save", "",
                "--appendonly", "no",
                "--protected-mode", "no"));
        RedisVersion version = resolvedBinary().version();
        if (version != null && version.major() >= 7) {
            // Redis 7 refuses DEBUG (e.g. DEBUG SLEEP) by default; tests may need it. The server only listens
            // on 127.0.0.1 anyway.
            command.addAll(List.of("--enable-debug-command", "yes"));
        }
        for (String arg : extraArgs) {
            command.add(Objects.requireNonNull(arg, "extraArgs must not contain null"));
        }
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workDirectory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));

        Process process = spawn(builder);
        RedisServerProcess server = new RedisServerProcess(process, port, logFile);
        RUNNING.add(server);
        try {
            process.getOutputStream().close();
            server.awaitReady();
        } catch (IOException | RuntimeException e) {
            try {
                server.kill();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof RuntimeException) {
                throw (RuntimeException) e;
            }
            throw new UncheckedIOException((IOException) e);
        }
        LOG.info("Started redis-server pid {} on {} (work dir {})", server.pid(), server.address(), workDirectory);
        return server;
    }

    private static Process spawn(ProcessBuilder builder) {
        for (int attempt = 1; ; attempt++) {
            try {
                return builder.start();
            } catch (IOException e) {
                // A freshly written executable can briefly be "busy" while a concurrently forked child still
                // holds the descriptor used to write it; that clears up by itself.
                boolean busy = String.valueOf(e.getMessage()).contains("Text file busy");
                if (!busy || attempt >= START_ATTEMPTS) {
                    throw new IllegalStateException("Could not launch " + builder.command(), e);
                }
                // Retry pause before relaunching an external process; not test synchronisation.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100L * attempt));
            }
        }
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw failure("redis-server exited with code " + process.exitValue() + " before answering PING");
            }
            if (probePing()) {
                break;
            }
            if (System.nanoTime() - deadline > 0) {
                throw failure("redis-server did not answer PING within " + READY_TIMEOUT);
            }
            // Readiness polling of an external process (redis-server is still starting), not test synchronisation.
            LockSupport.parkNanos(PROBE_INTERVAL.toNanos());
        }
        long answeringPid = answeringProcessId();
        if (answeringPid != process.pid()) {
            throw new PortTakenException("Port " + port + " is already served by another Redis (pid " + answeringPid
                    + "), not by the launched redis-server pid " + process.pid() + logTail());
        }
    }

    /** Sends the inline command {@code PING\r\n} over a raw socket and tells whether {@code +PONG} came back. */
    private boolean probePing() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), PROBE_TIMEOUT_MILLIS);
            socket.setSoTimeout(PROBE_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] expected = "+PONG".getBytes(StandardCharsets.US_ASCII);
            for (byte b : expected) {
                if (in.read() != b) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private long answeringProcessId() {
        String info;
        try {
            info = RedisCommands.call(address(), "INFO", "server");
        } catch (RuntimeException e) {
            throw failure("redis-server answered PING but not INFO server: " + e.getMessage());
        }
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("process_id:")) {
                return Long.parseLong(line.substring("process_id:".length()).trim());
            }
        }
        throw failure("INFO server of redis-server has no process_id");
    }

    private IllegalStateException failure(String message) {
        String fullMessage = message + " (pid " + process.pid() + ", port " + port + ")" + logTail();
        if (readLog().contains("Address already in use")) {
            return new PortTakenException(fullMessage);
        }
        return new IllegalStateException(fullMessage);
    }

    private String logTail() {
        List<String> lines = List.of(readLog().split("\r?\n"));
        List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
        return "; last lines of " + logFile + ":" + System.lineSeparator()
                + String.join(System.lineSeparator(), tail);
    }

    private String readLog() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        } catch (IOException | RuntimeException e) {
            return "<log unreadable: " + e + ">";
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // process control

    private void requireAlive(String action) {
        if (!process.isAlive()) {
            throw new IllegalStateException("Cannot " + action + " redis-server pid " + pid() + ": it has exited");
        }
    }

    private boolean waitForExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for redis-server pid " + pid() + " to exit", e);
        }
    }

    private void awaitExit(Duration timeout, String after) {
        if (!waitForExit(timeout)) {
            throw new IllegalStateException(
                    "redis-server pid " + pid() + " still running " + timeout + " after " + after);
        }
    }

    /** Sends a signal with the {@code kill} command, e.g. {@code kill -STOP <pid>}. */
    private void signal(String name) {
        String pid = Long.toString(pid());
        try {
            runKill(List.of("kill", "-" + name, pid), name);
        } catch (UncheckedIOException noKillExecutable) {
            // No kill executable on PATH: use the shell's built-in kill.
            runKill(List.of("/bin/sh", "-c", "kill -" + name + " " + pid), name);
        }
    }

    private void runKill(List<String> command, String name) {
        Process kill;
        try {
            kill = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            kill.getOutputStream().close();
            String output;
            try (InputStream in = kill.getInputStream()) {
                output = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (!kill.waitFor(SIGNAL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                kill.destroyForcibly();
                throw new IllegalStateException(command + " did not finish within " + SIGNAL_TIMEOUT);
            }
            if (kill.exitValue() != 0) {
                throw new IllegalStateException("Could not send SIG" + name + " to redis-server pid " + pid()
                        + ": " + command + " exited with " + kill.exitValue() + ": " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("Could not send SIG" + name + " to redis-server pid " + pid(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while sending SIG" + name + " to pid " + pid(), e);
        }
    }

    /**
     * Where {@code /proc/<pid>/stat} exists (Linux), waits until the kernel reports the process as stopped
     * ({@code T}) or no longer stopped, so that {@link #pause()} and {@link #resume()} have taken effect when
     * they return. Elsewhere returns immediately.
     */
    private void awaitProcState(boolean stopped) {
        Path stat = Path.of("/proc", Long.toString(pid()), "stat");
        long deadline = System.nanoTime() + SIGNAL_TIMEOUT.toNanos();
        while (process.isAlive()) {
            Character state = procState(stat);
            if (state == null || (state == 'T' || state == 't') == stopped) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("redis-server pid " + pid() + " is in state " + state
                        + " instead of " + (stopped ? "stopped" : "running") + " after " + SIGNAL_TIMEOUT);
            }
            // Polling the kernel's view of an external process, not test synchronisation.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private static Character procState(Path stat) {
        try {
            String content = Files.readString(stat, StandardCharsets.US_ASCII);
            int endOfName = content.lastIndexOf(')');
            if (endOfName < 0 || endOfName + 2 >= content.length()) {
                return null;
            }
            return content.charAt(endOfName + 2);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void killAllRunning() {
        for (RedisServerProcess server : RUNNING) {
            server.process.destroyForcibly();
        }
        for (RedisServerProcess server : RUNNING) {
            try {
                server.process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // binary resolution

    private static Binary resolvedBinary() {
        synchronized (BINARY_LOCK) {
            if (binaryFailure != null) {
                throw new IllegalStateException("Choosing the redis-server binary failed earlier: "
                        + binaryFailure.getMessage(), binaryFailure);
            }
            if (resolvedBinary == null) {
                try {
                    resolvedBinary = resolveBinary();
                } catch (RuntimeException e) {
                    binaryFailure = e;
                    throw e;
                }
            }
            return resolvedBinary;
        }
    }

    private static Binary resolveBinary() {
        String choice = System.getProperty(SERVER_PROPERTY, "").trim();
        Path path;
        String origin;
        switch (choice) {
            case "", "auto" -> {
                Path onPath = findOnPath();
                path = onPath != null ? onPath : extractBundledBinary();
                origin = onPath != null ? "the first redis-server on PATH" : "the embedded-redis jar (none on PATH)";
            }
            case "path" -> {
                path = findOnPath();
                if (path == null) {
                    throw new IllegalStateException(SERVER_PROPERTY + "=path, but there is no redis-server on PATH ("
                            + System.getenv("PATH") + ")");
                }
                origin = "PATH (" + SERVER_PROPERTY + "=path)";
            }
            case "embedded" -> {
                path = extractBundledBinary();
                origin = "the embedded-redis jar (" + SERVER_PROPERTY + "=embedded)";
            }
            default -> {
                Path given;
                try {
                    given = Path.of(choice);
                } catch (InvalidPathException e) {
                    throw new IllegalArgumentException(invalidChoice(choice), e);
                }
                if (!given.isAbsolute()) {
                    throw new IllegalArgumentException(invalidChoice(choice));
                }
                if (!Files.isRegularFile(given) || !Files.isExecutable(given)) {
                    throw new IllegalStateException(SERVER_PROPERTY + "=" + choice + " is not an executable file");
                }
                path = given;
                origin = SERVER_PROPERTY + "=" + choice;
            }
        }
        RedisVersion version = queryVersion(path);
        String versionText = version == null ? "of unknown version" : version.text();
        LOG.info("Using redis-server {} at {}, from {}", versionText, path, origin);
        checkExpectedVersion("The redis-server binary " + path + " (from " + origin + ")", version);
        recordVersion("redis-server " + versionText + " at " + path + ", from " + origin);
        return new Binary(path, version);
    }

    private static String invalidChoice(String choice) {
        return SERVER_PROPERTY + " must be auto, path, embedded or the absolute path of a redis-server executable, was '"
                + choice + "'";
    }

    /**
     * Fails when {@value #EXPECT_VERSION_PROPERTY} is set and {@code version} does not start with it.
     *
     * @param what    the server or binary, for the message
     * @param version its version, {@code null} if unknown (which fails whenever a version is expected)
     * @throws IllegalStateException if a version is expected and this is not it
     */
    static void checkExpectedVersion(String what, RedisVersion version) {
        String expected = System.getProperty(EXPECT_VERSION_PROPERTY, "").trim();
        if (expected.isEmpty()) {
            return;
        }
        if (version == null || !version.text().startsWith(expected)) {
            throw new IllegalStateException(what + " is Redis " + (version == null ? "of unknown version" : version)
                    + ", but " + EXPECT_VERSION_PROPERTY + "=" + expected + " asks for a version starting with '"
                    + expected + "'");
        }
    }

    /** Appends a line to {@link #VERSIONS_FILE}, where {@code .ci/run} shows which Redis a stage used. */
    static void recordVersion(String line) {
        Path file = fixtureRoot().resolve(VERSIONS_FILE);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, line + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not append to " + file, e);
        }
    }

    /** The version reported by {@code redis-server --version}, or {@code null} if it cannot be read. */
    private static RedisVersion queryVersion(Path executable) {
        try {
            Process version = new ProcessBuilder(executable.toString(), "--version").redirectErrorStream(true).start();
            version.getOutputStream().close();
            String output;
            try (InputStream in = version.getInputStream()) {
                output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!version.waitFor(SIGNAL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                version.destroyForcibly();
                LOG.warn("{} --version did not finish within {}", executable, SIGNAL_TIMEOUT);
                return null;
            }
            return RedisVersion.fromVersionOutput(output);
        } catch (IOException | RuntimeException e) {
            LOG.warn("Could not determine the version of {}", executable, e);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while asking " + executable + " for its version", e);
        }
    }

    private static Path findOnPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String directory : path.split(File.pathSeparator)) {
            if (directory.isEmpty()) {
                continue;
            }
            try {
                Path candidate = Path.of(directory, EXECUTABLE_NAME);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate.toAbsolutePath();
                }
            } catch (InvalidPathException e) {
                // not a usable PATH entry
            }
        }
        return null;
    }

    private static Path extractBundledBinary() {
        String resource = bundledResourceName();
        byte[] content;
        try (InputStream in = RedisServerProcess.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Resource " + resource
                        + " not found on the test classpath (is embedded-redis a test dependency?)");
            }
            content = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read resource " + resource, e);
        }
        try {
            Path directory = Files.createDirectories(fixtureRoot().resolve("bin"));
            Path target = directory.resolve(resource);
            if (Files.isRegularFile(target) && Files.isExecutable(target) && Files.size(target) == content.length) {
                return target.toAbsolutePath();
            }
            Path temporary = Files.createTempFile(directory, resource + "-", ".tmp");
            try {
                Files.write(temporary, content);
                makeExecutable(temporary);
                try {
                    Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temporary);
            }
            LOG.info("Extracted {} from embedded-redis to {}", resource, target);
            return target.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not extract " + resource, e);
        }
    }

    private static void makeExecutable(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            if (!file.toFile().setExecutable(true)) {
                throw new IOException("Could not mark " + file + " executable", e);
            }
        }
    }

    /** Name of the embedded-redis 1.4.x resource holding the redis-server binary for this OS and CPU. */
    private static String bundledResourceName() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        boolean x64 = arch.equals("amd64") || arch.equals("x86_64");
        boolean arm64 = arch.equals("aarch64") || arch.equals("arm64");
        boolean x86 = arch.equals("x86") || arch.equals("i386") || arch.equals("i486") || arch.equals("i586")
                || arch.equals("i686");
        if (os.contains("linux")) {
            if (x64) {
                return "redis-server-6.2.6-v5-linux-amd64";
            }
            if (arm64) {
                return "redis-server-6.2.7-linux-arm64";
            }
            if (x86) {
                return "redis-server-6.2.7-linux-386";
            }
        } else if (os.contains("mac") || os.contains("darwin")) {
            if (x64) {
                return "redis-server-6.2.6-v5-darwin-amd64";
            }
            if (arm64) {
                return "redis-server-6.2.6-v5-darwin-arm64";
            }
        }
        throw new IllegalStateException("No redis-server binary bundled in embedded-redis for os.name="
                + os + ", os.arch=" + arch + "; install redis-server or set REDIS_URL");
    }

    /**
     * Directory for binaries and server working directories: {@code <build dir>/redis-fixture}, where the build
     * directory is the parent of the directory the test classes were loaded from (Maven's {@code target/}). When
     * they were loaded from a jar (the {@code tests} jar used by the integration projects, which sits in the local
     * Maven repository), it is the {@code target/} directory of the working directory if there is one; otherwise
     * a directory under {@code java.io.tmpdir}.
     */
    private static Path fixtureRoot() {
        try {
            CodeSource codeSource = RedisServerProcess.class.getProtectionDomain().getCodeSource();
            if (codeSource != null && codeSource.getLocation() != null) {
                Path classes = Path.of(codeSource.getLocation().toURI());
                Path buildDirectory = Files.isDirectory(classes) ? classes.getParent() : Path.of("target");
                if (buildDirectory != null && Files.isDirectory(buildDirectory) && Files.isWritable(buildDirectory)) {
                    return buildDirectory.toAbsolutePath().resolve("redis-fixture");
                }
            }
        } catch (URISyntaxException | RuntimeException e) {
            LOG.debug("Cannot locate the build directory, using java.io.tmpdir", e);
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "distributed-mutex-redis-fixture");
    }

    /** The chosen executable and its version ({@code null} when {@code --version} could not be read). */
    private record Binary(Path path, RedisVersion version) {
    }

    /** Start failure caused by the port being used by someone else; {@link #start(String...)} retries it. */
    private static final class PortTakenException extends IllegalStateException {

        PortTakenException(String message) {
            super(message);
        }
    }
}
