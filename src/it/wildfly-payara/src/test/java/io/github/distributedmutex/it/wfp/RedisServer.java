package io.github.distributedmutex.it.wfp;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The one Redis that every server of the test shares: {@code REDIS_URL} when set; otherwise a
 * {@code redis-server} process on a free 127.0.0.1 port, the one on {@code PATH} or else the Linux
 * binary inside the embedded-redis jar, stopped by its pid at the end.
 */
final class RedisServer implements AutoCloseable {

    final String address;
    final String origin;
    private final Process process;

    private RedisServer(String address, String origin, Process process) {
        this.address = address;
        this.origin = origin;
        this.process = process;
    }

    static RedisServer start(Path workDir, Set<Integer> takenPorts) throws IOException, InterruptedException {
        String url = System.getenv("REDIS_URL");
        if (url != null && !url.isBlank()) {
            try (Resp resp = Resp.connect(url)) {
                if (!"PONG".equals(resp.call("PING"))) {
                    throw new IllegalStateException("REDIS_URL does not answer PING");
                }
            }
            return new RedisServer(url.trim(), "REDIS_URL", null);
        }
        Path binary = onPath("redis-server").orElse(null);
        String origin;
        if (binary != null) {
            origin = "redis-server on PATH (" + binary + ")";
        } else {
            binary = extractEmbedded(workDir);
            origin = "redis-server from the embedded-redis jar";
        }
        int port = Processes.freePort(takenPorts);
        Path log = workDir.resolve("redis.log");
        Process process = Processes.track(new ProcessBuilder(binary.toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no",
                "--daemonize", "no", "--dir", workDir.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start());
        String address = "redis://127.0.0.1:" + port;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            try (Resp resp = Resp.connect(address)) {
                if ("PONG".equals(resp.call("PING"))) {
                    String version = String.valueOf(((String) resp.call("INFO", "server")).lines()
                            .filter(l -> l.startsWith("redis_version:")).findFirst().orElse("?"));
                    return new RedisServer(address, origin + ", " + version + ", pid " + process.pid(), process);
                }
            } catch (RuntimeException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    Processes.stop(process, 2);
                    throw new IllegalStateException("redis-server did not start:\n" + Processes.tail(log, 30), notYet);
                }
            }
            Thread.sleep(100);
        }
    }

    private static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static Path extractEmbedded(Path workDir) throws IOException {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        if (!os.contains("linux")) {
            throw new IllegalStateException("no redis-server on PATH; the embedded binary is only used on Linux. Install"
                    + " redis-server or set REDIS_URL");
        }
        List<String> resources = arch.equals("aarch64") || arch.equals("arm64")
                ? List.of("redis-server-6.2.7-linux-arm64")
                : List.of("redis-server-6.2.6-v5-linux-amd64");
        for (String resource : resources) {
            try (InputStream in = RedisServer.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    continue;
                }
                Path target = workDir.resolve("redis-server");
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                if (!target.toFile().setExecutable(true, true)) {
                    throw new IOException("cannot make " + target + " executable");
                }
                return target;
            }
        }
        throw new IllegalStateException("no redis-server on PATH and none of " + resources
                + " in the embedded-redis jar on the test classpath; install redis-server or set REDIS_URL");
    }

    @Override
    public void close() {
        if (process != null) {
            Processes.stop(process, 10);
        }
    }
}
