package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.testing.RedisCommands;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Watches every command the Redis server runs, through {@code MONITOR} on a connection of its own,
 * and tells commands that clients sent (each one round trip, since nothing here is pipelined) from
 * commands that scripts ran inside the server ({@code MONITOR} shows those with the source
 * {@code lua}). Windows are delimited by markers: {@link #mark(String)} sends {@code ECHO <marker>}
 * and returns once the monitor has seen it, so everything sent before is counted.
 *
 * <p>Plain {@code redis://} addresses only (a password is sent with {@code AUTH}); {@code MONITOR}
 * slows the server down, so this is for counting, never for timing.
 */
final class CommandMonitor implements AutoCloseable {

    /** Commands of the monitor and the markers themselves, and connection bookkeeping. */
    private static final List<String> BOOKKEEPING = List.of("echo", "auth", "hello", "select", "client", "info", "monitor");

    /**
     * What ran between two markers.
     *
     * @param sent     commands clients sent, by lower-case name
     * @param inScript commands scripts ran inside the server, by lower-case name
     */
    record Tally(Map<String, Long> sent, Map<String, Long> inScript) {
    }

    private record Entry(boolean fromScript, String command, String argument) {
    }

    private final String address;
    private final Socket socket;
    private final Thread reader;
    private final List<Entry> entries = new ArrayList<>();
    private volatile IOException failure;

    private CommandMonitor(String address, Socket socket) {
        this.address = address;
        this.socket = socket;
        this.reader = new Thread(this::read, "redis-monitor");
        reader.setDaemon(true);
    }

    /**
     * @param address a {@code redis://} address
     * @return a running monitor
     * @throws UncheckedIOException when the server cannot be reached or refuses {@code MONITOR}
     */
    static CommandMonitor open(String address) {
        URI uri = URI.create(address);
        if (!"redis".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("the command census supports redis:// addresses only");
        }
        try {
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort()), 5_000);
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            if (uri.getUserInfo() != null && !uri.getUserInfo().isEmpty()) {
                String[] credentials = uri.getUserInfo().split(":", 2);
                out.write(credentials.length == 2 && !credentials[0].isEmpty()
                        ? command("AUTH", credentials[0], credentials[1])
                        : command("AUTH", credentials[credentials.length - 1]));
            }
            out.write(command("MONITOR"));
            out.flush();
            CommandMonitor monitor = new CommandMonitor(address, socket);
            monitor.reader.start();
            return monitor;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start MONITOR", e);
        }
    }

    /**
     * Sends {@code ECHO marker} and waits until the monitor has seen it.
     *
     * @param marker a unique marker
     */
    void mark(String marker) throws InterruptedException {
        RedisCommands.call(address, "ECHO", marker);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        synchronized (entries) {
            while (indexOf(marker) < 0) {
                if (failure != null) {
                    throw new UncheckedIOException("MONITOR connection failed", failure);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("MONITOR did not show marker " + marker);
                }
                entries.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    /**
     * @param from        a marker sent earlier
     * @param to          a marker sent after {@code from}
     * @param excludePing whether {@code PING} is bookkeeping here (keep-alives) rather than the operation
     * @return what ran in between
     */
    Tally between(String from, String to, boolean excludePing) {
        Map<String, Long> sent = new TreeMap<>();
        Map<String, Long> inScript = new TreeMap<>();
        synchronized (entries) {
            int start = indexOf(from);
            int end = indexOf(to);
            for (Entry entry : entries.subList(start + 1, end)) {
                if (entry.fromScript()) {
                    inScript.merge(entry.command(), 1L, Long::sum);
                } else if (!BOOKKEEPING.contains(entry.command()) && !(excludePing && entry.command().equals("ping"))) {
                    sent.merge(entry.command(), 1L, Long::sum);
                }
            }
        }
        return new Tally(sent, inScript);
    }

    private int indexOf(String marker) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry entry = entries.get(i);
            if (!entry.fromScript() && entry.command().equals("echo") && marker.equals(entry.argument())) {
                return i;
            }
        }
        return -1;
    }

    private void read() {
        try (InputStream in = new BufferedInputStream(socket.getInputStream())) {
            while (true) {
                String line = readLine(in);
                // +1700000000.123456 [0 127.0.0.1:54321] "evalsha" "…" or [0 lua] for commands run by scripts
                int open = line.indexOf('[');
                int close = line.indexOf(']', open);
                if (!line.startsWith("+") || open < 0 || close < 0) {
                    continue;
                }
                boolean fromScript = line.substring(open + 1, close).endsWith(" lua");
                List<String> words = RedisCommands.monitorWords(line.substring(close + 1));
                if (words.isEmpty()) {
                    continue;
                }
                Entry entry = new Entry(fromScript, words.get(0).toLowerCase(Locale.ROOT),
                        words.size() > 1 ? words.get(1) : null);
                synchronized (entries) {
                    entries.add(entry);
                    entries.notifyAll();
                }
            }
        } catch (IOException e) {
            if (!socket.isClosed()) {
                failure = e;
            }
            synchronized (entries) {
                entries.notifyAll();
            }
        }
    }


    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int previous = -1;
        while (true) {
            int current = in.read();
            if (current < 0) {
                throw new IOException("MONITOR connection closed");
            }
            if (previous == '\r' && current == '\n') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            line.write(current);
            previous = current;
        }
    }

    private static byte[] command(String... args) {
        StringBuilder resp = new StringBuilder("*").append(args.length).append("\r\n");
        for (String arg : args) {
            resp.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(arg).append("\r\n");
        }
        return resp.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Closes the monitor connection. */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
        try {
            reader.join(Duration.ofSeconds(5).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
