package io.github.distributedmutex.testing;

import java.time.Duration;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The real Redis server shared by every test of the test JVM.
 *
 * <p>Contract:
 * <ul>
 *     <li>The server is provisioned lazily, exactly once per JVM, on the first call of any method, and is
 *     thread-safe. The first source that works wins:
 *     <ol>
 *         <li>the environment variable {@code REDIS_URL} when set and not blank (for example
 *         {@code redis://127.0.0.1:6379}), used as is; that server is <em>not owned</em> by the tests;</li>
 *         <li>a Testcontainers {@code redis:7} container, when a Docker engine is reachable and the system property
 *         {@value RedisServerProcess#SERVER_PROPERTY} does not name a binary; any failure of the Docker check or of
 *         the container start is logged and falls through to the next source;</li>
 *         <li>a {@code redis-server} process on a free {@code 127.0.0.1} port, see {@link RedisServerProcess}.</li>
 *     </ol></li>
 *     <li>The server's version ({@code INFO server}) is logged with its source, appended to
 *     {@link RedisServerProcess#VERSIONS_FILE}, and, when {@value RedisServerProcess#EXPECT_VERSION_PROPERTY} is
 *     set, must start with it: otherwise provisioning fails.</li>
 *     <li>Containers and processes started here live until the JVM exits (shutdown hooks, plus
 *     Testcontainers' own reaper, remove them). Tests must not stop, kill or pause this shared server; tests that
 *     need to break Redis start their own {@link RedisServerProcess}.</li>
 *     <li>If provisioning fails, every call throws an {@link IllegalStateException} referring to that first
 *     failure; provisioning is not retried.</li>
 *     <li>Since the server is shared, tests should use unique key names rather than rely on an empty database.</li>
 * </ul>
 */
public final class TestRedis {

    /** Environment variable naming an external Redis to use instead of starting one. */
    public static final String REDIS_URL_VARIABLE = "REDIS_URL";

    private static final Logger LOG = LoggerFactory.getLogger(TestRedis.class);
    private static final Pattern USER_INFO = Pattern.compile("(?<=://)[^@/]*@");

    private static final Object LOCK = new Object();
    private static volatile Provisioned provisioned;
    private static RuntimeException failure;

    private TestRedis() {
    }

    /**
     * Returns the address of the shared Redis server, provisioning it on first use.
     *
     * @return a Redis URI such as {@code redis://127.0.0.1:6379}, including credentials when {@code REDIS_URL}
     *         carries them
     * @throws IllegalStateException if no Redis server could be provisioned
     */
    public static String address() {
        return provisioned().address;
    }

    /**
     * Tells, for log lines, which source provided the shared server: the {@code REDIS_URL} environment
     * variable, a Testcontainers container or a {@code redis-server} process. Never contains credentials.
     *
     * @return a human-readable description starting with {@code REDIS_URL}, {@code Testcontainers} or
     *         {@code redis-server process}
     * @throws IllegalStateException if no Redis server could be provisioned
     */
    public static String source() {
        return provisioned().source;
    }

    /**
     * Returns the version of the shared server, from its {@code INFO server} at provisioning.
     *
     * @return the version, for example {@code 7.0.15}
     * @throws IllegalStateException if no Redis server could be provisioned, or its version could not be read
     */
    public static RedisVersion version() {
        Provisioned server = provisioned();
        if (server.version == null) {
            throw new IllegalStateException("The version of the shared test Redis (" + server.source
                    + ") could not be read at provisioning");
        }
        return server.version;
    }

    /**
     * Tells whether the shared server was started by the tests (container or process), and may therefore be
     * flushed, as opposed to an external server named by {@code REDIS_URL}.
     *
     * @return {@code true} unless the server comes from {@code REDIS_URL}
     * @throws IllegalStateException if no Redis server could be provisioned
     */
    public static boolean owned() {
        return provisioned().owned;
    }

    /**
     * Deletes every key of every database of the shared server with {@code FLUSHALL}, over a raw socket.
     *
     * @throws IllegalStateException if the server comes from {@code REDIS_URL} (a server the tests do not own
     *                               is never flushed), if Redis rejects the command, or if no Redis server could
     *                               be provisioned
     * @throws java.io.UncheckedIOException if the server cannot be reached
     */
    public static void flushAll() {
        Provisioned server = provisioned();
        if (!server.owned) {
            throw new IllegalStateException("Refusing to FLUSHALL " + server.source
                    + ": that Redis server was not started by the tests and may hold data that is not theirs");
        }
        String reply = RedisCommands.call(server.address, "FLUSHALL");
        if (!"OK".equals(reply)) {
            throw new IllegalStateException("FLUSHALL on " + server.source + " answered " + reply);
        }
    }

    private static Provisioned provisioned() {
        Provisioned current = provisioned;
        if (current != null) {
            return current;
        }
        synchronized (LOCK) {
            if (provisioned == null) {
                if (failure != null) {
                    throw new IllegalStateException("Provisioning the shared test Redis failed earlier", failure);
                }
                try {
                    provisioned = withVersion(provision());
                } catch (RuntimeException e) {
                    failure = e;
                    throw e;
                }
            }
            return provisioned;
        }
    }

    private static Provisioned provision() {
        String url = System.getenv(REDIS_URL_VARIABLE);
        if (url != null && !url.isBlank()) {
            String address = url.trim();
            return new Provisioned(address,
                    "REDIS_URL environment variable (" + USER_INFO.matcher(address).replaceFirst("***@") + ")",
                    "REDIS_URL", false, null);
        }
        if (RedisServerProcess.binaryChosenExplicitly()) {
            LOG.info("{}={} names the redis-server binary; not using Testcontainers", RedisServerProcess.SERVER_PROPERTY,
                    System.getProperty(RedisServerProcess.SERVER_PROPERTY));
        } else {
            Provisioned container = Containers.tryStart();
            if (container != null) {
                return container;
            }
        }
        RedisServerProcess server = RedisServerProcess.start();
        return new Provisioned(server.address(),
                "redis-server process pid " + server.pid() + " at " + server.address()
                        + " (binary " + RedisServerProcess.binary() + ")",
                "a redis-server process, " + RedisServerProcess.binary(), true, null);
    }

    /**
     * Reads the server's version, logs and records it, and checks it against
     * {@value RedisServerProcess#EXPECT_VERSION_PROPERTY}.
     */
    private static Provisioned withVersion(Provisioned server) {
        RedisVersion version = null;
        try {
            version = RedisVersion.fromInfo(RedisCommands.call(server.address, "INFO", "server"));
        } catch (RuntimeException e) {
            // Checked below when a version is expected; otherwise the tests can run without knowing it.
            LOG.warn("Could not read the version of the shared test Redis ({}): {}", server.source, e.toString());
        }
        String versionText = version == null ? "of unknown version" : version.text();
        LOG.info("Tests use Redis {} from {}", versionText, server.source);
        RedisServerProcess.checkExpectedVersion("The shared test Redis (" + server.source + ")", version);
        RedisServerProcess.recordVersion("shared test Redis " + versionText + ", from " + server.kind);
        return new Provisioned(server.address, server.source, server.kind, server.owned, version);
    }

    /** Keeps every Testcontainers class out of class loading unless this path is taken. */
    private static final class Containers {

        private static final String IMAGE = "redis:7";
        private static final int REDIS_PORT = 6379;

        static Provisioned tryStart() {
            boolean dockerAvailable;
            try {
                dockerAvailable = DockerClientFactory.instance().isDockerAvailable();
            } catch (Exception | LinkageError e) {
                LOG.info("Docker check failed ({}); not using Testcontainers", e.toString());
                return null;
            }
            if (!dockerAvailable) {
                LOG.info("No Docker engine reachable; not using Testcontainers");
                return null;
            }
            GenericContainer<?> container = null;
            try {
                container = new GenericContainer<>(DockerImageName.parse(IMAGE))
                        .withExposedPorts(REDIS_PORT)
                        // Same settings as RedisServerProcess; Redis 7 refuses DEBUG unless enabled.
                        .withCommand("redis-server", "--save", "", "--appendonly", "no",
                                "--enable-debug-command", "yes")
                        .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*\\n", 1)
                                .withStartupTimeout(Duration.ofMinutes(2)));
                container.start();
                String address = "redis://" + container.getHost() + ":" + container.getMappedPort(REDIS_PORT);
                GenericContainer<?> started = container;
                Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "redis-container-reaper"));
                return new Provisioned(address,
                        "Testcontainers " + IMAGE + " container " + container.getContainerId() + " at " + address,
                        "a Testcontainers " + IMAGE + " container", true, null);
            } catch (Exception | LinkageError e) {
                LOG.warn("Docker is reachable but the {} container could not be started; falling back to a "
                        + "redis-server process", IMAGE, e);
                if (container != null) {
                    try {
                        container.stop();
                    } catch (Exception | LinkageError suppressed) {
                        LOG.debug("Could not stop the failed {} container", IMAGE, suppressed);
                    }
                }
                return null;
            }
        }
    }

    /**
     * The shared server: its address, a loggable description, its kind (the description without pids and ports),
     * whether the tests own it, and its version ({@code null} until read, or when it could not be read).
     */
    private static final class Provisioned {

        private final String address;
        private final String source;
        private final String kind;
        private final boolean owned;
        private final RedisVersion version;

        Provisioned(String address, String source, String kind, boolean owned, RedisVersion version) {
            this.address = address;
            this.source = source;
            this.kind = kind;
            this.owned = owned;
            this.version = version;
        }
    }
}
