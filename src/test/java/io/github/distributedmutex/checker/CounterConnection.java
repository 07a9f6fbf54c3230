package io.github.distributedmutex.checker;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * One persistent raw-socket RESP connection to Redis for a worker thread's counter reads and writes.
 * It deliberately bypasses the library and Redisson: the counter is the "resource" the lock protects,
 * and every {@code GET} and {@code SET} is a separate round trip, so two sections running at once lose an
 * update. (The fixture {@code RedisCommands} opens a connection per command, which at thousands of
 * operations per second would exhaust the loopback's ephemeral ports.)
 *
 * <p>Contract: {@code address} is {@code redis://[[user]:password@]host[:port][/db]} (TLS is not
 * supported); {@code AUTH} and {@code SELECT} are sent on connect. Every call waits at most
 * {@link #TIMEOUT} for its reply. A network failure or timeout throws {@link UncheckedIOException}
 * and leaves the connection unusable; an error reply throws {@link IllegalStateException}. Not
 * thread-safe: one connection per thread.
 */
public final class CounterConnection implements AutoCloseable {

    /** Connect timeout and read timeout of every reply. */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private CounterConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = new BufferedOutputStream(socket.getOutputStream());
    }

    /**
     * Connects, authenticates and selects the database the address names.
     *
     * @param address the Redis URI
     * @return the open connection
     * @throws IllegalArgumentException when the address is not a {@code redis://} URI
     * @throws UncheckedIOException     when Redis cannot be reached
     * @throws IllegalStateException    when Redis refuses {@code AUTH} or {@code SELECT}
     */
    public static CounterConnection open(String address) {
        URI uri = URI.create(Objects.requireNonNull(address, "address").trim());
        if (!"redis".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("the checker's counter connection needs a redis://host:port address");
        }
        Socket socket = new Socket();
        CounterConnection connection = null;
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort()),
                    (int) TIMEOUT.toMillis());
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            connection = new CounterConnection(socket);
            String userInfo = uri.getRawUserInfo();
            if (userInfo != null && !userInfo.isEmpty()) {
                int colon = userInfo.indexOf(':');
                String user = colon < 0 ? "" : decode(userInfo.substring(0, colon));
                String password = decode(colon < 0 ? userInfo : userInfo.substring(colon + 1));
                if (user.isEmpty()) {
                    connection.call("AUTH", password);
                } else {
                    connection.call("AUTH", user, password);
                }
            }
            String path = uri.getPath();
            if (path != null && path.length() > 1 && !"/0".equals(path)) {
                connection.call("SELECT", path.substring(1));
            }
            return connection;
        } catch (IOException e) {
            closeQuietly(socket);
            throw new UncheckedIOException("could not connect the counter connection to Redis", e);
        } catch (RuntimeException e) {
            closeQuietly(socket);
            throw e;
        }
    }

    /**
     * @param key a Redis key holding a decimal number, or absent
     * @return its value, 0 when absent
     */
    public long get(String key) {
        String value = call("GET", key);
        return value == null ? 0 : Long.parseLong(value);
    }

    /**
     * @param key   a Redis key
     * @param value the value to store
     */
    public void set(String key, long value) {
        String reply = call("SET", key, Long.toString(value));
        if (!"OK".equals(reply)) {
            throw new IllegalStateException("SET " + key + " answered " + reply);
        }
    }

    /**
     * Sends one command and reads its reply.
     *
     * @param args the command and its arguments
     * @return a simple, bulk or integer reply as text; {@code null} for a null reply
     * @throws IllegalStateException when Redis answers with an error, or with an array
     * @throws UncheckedIOException  when the exchange fails or times out
     */
    public String call(String... args) {
        try {
            ByteArrayOutputStream command = new ByteArrayOutputStream();
            command.write(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (String arg : args) {
                byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
                command.write(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
                command.write(bytes);
                command.write('\r');
                command.write('\n');
            }
            command.writeTo(out);
            out.flush();
            return readReply(args[0]);
        } catch (IOException e) {
            throw new UncheckedIOException("Redis " + args[0] + " failed on the counter connection", e);
        }
    }

    private String readReply(String command) throws IOException {
        int type = in.read();
        String line = readLine();
        switch (type) {
            case '+', ':' -> {
                return line;
            }
            case '-' -> throw new IllegalStateException("Redis answered " + command + " with " + line);
            case '$' -> {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] bytes = in.readNBytes(length + 2);
                if (bytes.length != length + 2) {
                    throw new EOFException("Redis closed the connection");
                }
                return new String(bytes, 0, length, StandardCharsets.UTF_8);
            }
            case -1 -> throw new EOFException("Redis closed the connection");
            default -> throw new IllegalStateException("unexpected reply to " + command + ": " + (char) type + line);
        }
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) {
                throw new EOFException("Redis closed the connection");
            }
            line.append((char) c);
        }
        if (in.read() != '\n') {
            throw new IOException("malformed RESP line");
        }
        return line.toString();
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    /** Closes the socket; never throws. */
    @Override
    public void close() {
        closeQuietly(socket);
    }
}
