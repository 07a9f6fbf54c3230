package io.github.distributedmutex.it.wfp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Process helpers: stop a process and all its descendants by pid (SIGTERM, then SIGKILL), free
 * loopback ports, log tails; and a shutdown hook that stops whatever is still running if the test
 * JVM is ended early.
 */
final class Processes {

    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(p -> stop(p, 5)), "stop-it-processes"));
    }

    private Processes() {
    }

    /** Remembers a started process for the shutdown hook. */
    static Process track(Process process) {
        RUNNING.add(process);
        return process;
    }

    /**
     * Stops the process and its descendants: SIGTERM to all (children first), then SIGKILL to
     * whatever is still alive after the grace period.
     *
     * @return how the processes ended, for the report
     */
    static String stop(Process process, int graceSeconds) {
        List<ProcessHandle> handles = new ArrayList<>(process.descendants().toList());
        java.util.Collections.reverse(handles); // deepest first
        handles.add(process.toHandle());
        for (ProcessHandle h : handles) {
            h.destroy();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(graceSeconds);
        int killed = 0;
        for (ProcessHandle h : handles) {
            long left = Math.max(0, deadline - System.nanoTime());
            try {
                h.onExit().get(left, TimeUnit.NANOSECONDS);
            } catch (Exception timeoutOrInterrupted) {
                if (h.isAlive()) {
                    h.destroyForcibly();
                    killed++;
                }
            }
        }
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RUNNING.remove(process);
        return handles.size() + " process(es), " + (killed == 0 ? "all ended on SIGTERM" : killed + " killed after " + graceSeconds + " s");
    }

    /** @return whether {@code port} can be bound on 127.0.0.1 now */
    static boolean portFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** @return a port that was free on 127.0.0.1 and is not in {@code taken}; adds it to {@code taken} */
    static int freePort(Set<Integer> taken) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port;
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = socket.getLocalPort();
            } catch (IOException e) {
                throw new IllegalStateException("cannot find a free port", e);
            }
            if (taken.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("cannot find a free port");
    }

    /** @return the last {@code lines} lines of a log file, for failure messages */
    static String tail(Path log, int lines) {
        try {
            List<String> all = List.of(new String(Files.readAllBytes(log), StandardCharsets.UTF_8).split("\n"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | RuntimeException e) {
            return "(no log: " + e + ")";
        }
    }

    /** @return the last {@code max} lines of a log file that match {@code regex} (found anywhere in the line) */
    static List<String> grep(Path log, String regex, int max) {
        try {
            java.util.regex.Pattern pattern = java.util.regex.Pattern.compile(regex);
            List<String> matching = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines()
                    .filter(line -> pattern.matcher(line).find()).toList();
            return matching.subList(Math.max(0, matching.size() - max), matching.size());
        } catch (IOException | RuntimeException e) {
            return List.of("(no log: " + e + ")");
        }
    }
}
