package io.github.distributedmutex.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP proxy on {@code 127.0.0.1} in front of one upstream server (a Redis), for tests that stall the
 * network between a client and its server without touching either of them.
 *
 * <p>Contract:
 * <ul>
 *     <li>{@link #start(int)} listens on a free port of {@code 127.0.0.1}; every accepted connection is
 *     paired with a new connection to the upstream port, and bytes are relayed in both directions, chunk by
 *     chunk, in order. When either side closes its connection, the other side is closed too.</li>
 *     <li>{@link #freeze()} stops relaying in both directions, on the connections that exist and on those
 *     accepted later, without closing any socket: clients see a server that accepts connections and reads
 *     commands but never answers, as with a stalled network or a dropped route. Bytes that arrive while frozen
 *     are held (not lost) and delivered, in order, after {@link #thaw()}, as TCP would after a stall.</li>
 *     <li>{@link #delay(Duration)} holds every chunk back for that long before relaying it (simulated
 *     latency); {@link Duration#ZERO} turns it off.</li>
 *     <li>{@link #resetAfterRequestContaining(String)} arms a one-shot fault: the next client chunk that
 *     contains the marker is relayed to the server, and then that connection is reset (the client gets a
 *     TCP RST) before any reply is relayed back: a command that reached the server while its client saw
 *     the connection drop.</li>
 *     <li>{@link #close()} closes the listening socket and every connection and waits for the relay threads
 *     to end; it is idempotent. Nothing outlives it.</li>
 * </ul>
 * <p>Instances are thread-safe. Each connection costs two platform daemon threads; the proxy is meant for
 * the handful of connections of a Redis client in a test.
 *
 * <pre>{@code
 * try (RedisServerProcess redis = RedisServerProcess.start();
 *      TcpProxy proxy = TcpProxy.start(redis.port())) {
 *     Adapter adapter = TestAdapters.on(proxy.address()).newInstance();
 *     proxy.freeze();   // adapter's calls now get no answer
 *     proxy.thaw();     // and now they do again
 * }
 * }</pre>
 */
public final class TcpProxy implements AutoCloseable {

    private static final int CHUNK = 16 * 1024;
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(10);

    private final int upstreamPort;
    private final ServerSocket listener;
    private final Thread acceptor;
    private final List<Socket> sockets = new ArrayList<>();
    private final List<Thread> relays = new ArrayList<>();
    private final Object gate = new Object();
    private boolean frozen;
    private long delayNanos;
    private byte[] resetMarker;
    private int resets;
    private volatile boolean closed;

    private TcpProxy(int upstreamPort, ServerSocket listener) {
        this.upstreamPort = upstreamPort;
        this.listener = listener;
        this.acceptor = new Thread(this::acceptLoop, "tcp-proxy-accept-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * @param upstreamPort the port of the server on {@code 127.0.0.1} to relay to
     * @return a running proxy on a free port of {@code 127.0.0.1}; the caller must {@link #close()} it
     */
    public static TcpProxy start(int upstreamPort) {
        if (upstreamPort < 1 || upstreamPort > 65535) {
            throw new IllegalArgumentException("not a TCP port: " + upstreamPort);
        }
        try {
            ServerSocket listener = new ServerSocket();
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return new TcpProxy(upstreamPort, listener);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the TCP proxy", e);
        }
    }

    /** @return the port the proxy listens on */
    public int port() {
        return listener.getLocalPort();
    }

    /** @return {@code redis://127.0.0.1:<port>}: the Redis address to give a client that must go through the proxy */
    public String address() {
        return "redis://127.0.0.1:" + port();
    }

    /** Stops relaying bytes, in both directions, on every connection (existing and new); sockets stay open. */
    public void freeze() {
        synchronized (gate) {
            frozen = true;
        }
    }

    /** Relays again, first delivering the bytes held while frozen. */
    public void thaw() {
        synchronized (gate) {
            frozen = false;
            gate.notifyAll();
        }
    }

    /** @return whether the proxy is frozen now */
    public boolean isFrozen() {
        synchronized (gate) {
            return frozen;
        }
    }

    /**
     * @param delay how long each chunk is held back before it is relayed; zero for none
     */
    public void delay(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative: " + delay);
        }
        synchronized (gate) {
            delayNanos = delay.toNanos();
            gate.notifyAll();
        }
    }

    /**
     * Arms a one-shot reset: the next chunk a client sends that contains {@code marker} (ASCII) reaches the
     * server, then that client's connection is reset and the server's reply is dropped.
     */
    public void resetAfterRequestContaining(String marker) {
        synchronized (gate) {
            resetMarker = marker.getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** @return how many connections {@link #resetAfterRequestContaining(String)} has reset so far */
    public int resets() {
        synchronized (gate) {
            return resets;
        }
    }

    /** @return how many client connections the proxy accepted so far */
    public int acceptedConnections() {
        synchronized (sockets) {
            return sockets.size() / 2;
        }
    }

    private void acceptLoop() {
        while (true) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            Socket upstream = new Socket();
            try {
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 10_000);
            } catch (IOException e) {
                closeQuietly(client);
                closeQuietly(upstream);
                continue;
            }
            String name = "tcp-proxy-" + port() + "-" + client.getPort();
            Connection connection = new Connection(client, upstream);
            Thread up = new Thread(() -> relay(client, upstream, connection), name + "-up");
            Thread down = new Thread(() -> relay(upstream, client, connection), name + "-down");
            synchronized (sockets) {
                if (closed) {
                    closeQuietly(client);
                    closeQuietly(upstream);
                    return;
                }
                sockets.add(client);
                sockets.add(upstream);
                relays.add(up);
                relays.add(down);
            }
            up.setDaemon(true);
            down.setDaemon(true);
            up.start();
            down.start();
        }
    }

    /** One client connection and its upstream connection; once severed, nothing is relayed to the client. */
    private record Connection(Socket client, Socket upstream, AtomicBoolean severed) {
        Connection(Socket client, Socket upstream) {
            this(client, upstream, new AtomicBoolean());
        }
    }

    private void relay(Socket from, Socket to, Connection connection) {
        byte[] buffer = new byte[CHUNK];
        boolean request = from == connection.client();
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            while (true) {
                int read = in.read(buffer);
                if (read < 0) {
                    break;
                }
                if (!awaitPassage()) {
                    break;
                }
                boolean reset = request && takeReset(buffer, read);
                if (reset) {
                    // no reply may reach the client from now on: sever before the request goes out
                    connection.severed().set(true);
                    connection.client().setSoLinger(true, 0);
                    out.write(buffer, 0, read);
                    out.flush();
                    closeQuietly(connection.client());
                    break;
                }
                if (!request && connection.severed().get()) {
                    break;
                }
                out.write(buffer, 0, read);
                out.flush();
            }
        } catch (IOException e) {
            // a side closed or reset the connection: close the pair below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /**
     * Blocks while frozen, then holds the chunk for the configured delay.
     *
     * @return false when the proxy was closed meanwhile
     */
    private boolean awaitPassage() throws InterruptedException {
        synchronized (gate) {
            while (frozen && !closed) {
                gate.wait();
            }
            if (closed) {
                return false;
            }
            long delay = delayNanos;
            if (delay > 0) {
                // simulated network latency: this wait IS the behaviour, not a synchronisation
                long until = System.nanoTime() + delay;
                for (long left = delay; left > 0 && !closed; left = until - System.nanoTime()) {
                    TimeUnit.NANOSECONDS.timedWait(gate, left);
                }
                while (frozen && !closed) {
                    gate.wait();
                }
            }
            return !closed;
        }
    }

    /** @return whether this request chunk fires the armed reset (and disarms it) */
    private boolean takeReset(byte[] buffer, int length) {
        synchronized (gate) {
            if (resetMarker == null || !contains(buffer, length, resetMarker)) {
                return false;
            }
            resetMarker = null;
            resets++;
            return true;
        }
    }

    private static boolean contains(byte[] buffer, int length, byte[] marker) {
        outer:
        for (int i = 0; i + marker.length <= length; i++) {
            for (int j = 0; j < marker.length; j++) {
                if (buffer[i + j] != marker[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** Closes the listener and every connection, and waits for the relay threads to end. Idempotent. */
    @Override
    public void close() {
        List<Socket> open;
        List<Thread> threads;
        synchronized (gate) {
            closed = true;
            gate.notifyAll();
        }
        closeQuietly(listener);
        synchronized (sockets) {
            open = new ArrayList<>(sockets);
            threads = new ArrayList<>(relays);
        }
        open.forEach(TcpProxy::closeQuietly);
        try {
            long deadline = System.nanoTime() + JOIN_TIMEOUT.toNanos();
            acceptor.join(JOIN_TIMEOUT.toMillis());
            for (Thread thread : threads) {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public String toString() {
        return "TcpProxy[127.0.0.1:" + port() + " -> 127.0.0.1:" + upstreamPort + (isFrozen() ? ", frozen" : "") + "]";
    }
}
