package io.github.distributedmutex.it.quarkus;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real Redis of the test, given to the application as {@code distributedmutex.redis.address}:
 * {@code REDIS_URL} when set; otherwise a {@code redis-server} process on a free loopback port (the
 * one on {@code PATH}, else the Linux binary inside the {@code embedded-redis} jar), stopped by
 * {@link #stop()}. A minimal copy of the main project's test fixture, which this project cannot use.
 */
public class RedisTestResource implements QuarkusTestResourceLifecycleManager {

    static final String HOST = "127.0.0.1";
    private static final String BUNDLED = "redis-server-6.2.6-v5-linux-amd64";
    private static volatile String address;

    private Process process;

    /** @return the address of the Redis the application was started with */
    static String address() {
        return address;
    }

    @Override
    public Map<String, String> start() {
        String url = System.getenv("REDIS_URL");
        if (url != null && !url.isBlank()) {
            address = url.trim();
        } else {
            int port = freePort();
            Path workDir = createDirectory(Path.of("target", "redis-" + port));
            List<String> command = List.of(binary().toString(), "--port", String.valueOf(port), "--bind", HOST,
                    "--save", "", "--appendonly", "no", "--protected-mode", "no");
            try {
                process = new ProcessBuilder(command).directory(workDir.toFile())
                        .redirectErrorStream(true).redirectOutput(workDir.resolve("redis.log").toFile()).start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + command, e);
            }
            Process started = process;
            Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly, "redis-server-reaper"));
            address = "redis://" + HOST + ":" + port;
            awaitPong(workDir);
        }
        System.out.println("[RedisTestResource] the application uses Redis at " + address
                + (process == null ? " (REDIS_URL)" : " (redis-server pid " + process.pid() + ")"));
        return Map.of("distributedmutex.redis.address", address);
    }

    @Override
    public void stop() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private void awaitPong(Path workDir) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited with " + process.exitValue() + ", see "
                        + workDir.resolve("redis.log").toAbsolutePath());
            }
            try {
                if ("PONG".equals(RedisProbe.call(address, "PING"))) {
                    return;
                }
            } catch (UncheckedIOException notYet) {
                // still starting
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("redis-server did not answer PING within 30 s at " + address);
    }

    private static Path binary() {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path candidate = Path.of(dir, "redis-server");
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        Path target = createDirectory(Path.of("target", "redis-bin")).resolve(BUNDLED);
        try (InputStream in = RedisTestResource.class.getClassLoader().getResourceAsStream(BUNDLED)) {
            if (in == null) {
                throw new IllegalStateException("no redis-server on PATH and no " + BUNDLED
                        + " on the test classpath (embedded-redis); set REDIS_URL");
            }
            if (!Files.exists(target)) {
                Path temporary = Files.createTempFile(target.getParent(), BUNDLED, ".tmp");
                Files.copy(in, temporary, StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rwxr-xr-x"));
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return target.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + BUNDLED, e);
        }
    }

    private static Path createDirectory(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
