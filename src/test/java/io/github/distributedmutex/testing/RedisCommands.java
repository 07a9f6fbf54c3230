package io.github.distributedmutex.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
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
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A minimal, dependency-free Redis client speaking RESP over a raw socket, for tests that must probe or
 * inspect a real Redis server without going through Redisson.
 *
 * <p>Contract:
 * <ul>
 *     <li>Every call opens a fresh TCP connection to {@code address}, sends exactly one command (preceded by
 *     {@code AUTH} when the address carries credentials and {@code SELECT} when it names a database other than
 *     {@code 0}), reads exactly one reply and closes the connection. No state survives between calls.</li>
 *     <li>{@code address} is a Redis URI: {@code redis://[[user]:password@]host[:port][/db]} or the TLS variant
 *     {@code rediss://...}; the port defaults to {@code 6379}.</li>
 *     <li>The command is sent as a RESP array of bulk strings (arguments encoded as UTF-8), so arguments may
 *     contain spaces or be empty.</li>
 *     <li>Replies are decoded as follows: simple string ({@code +}) and bulk string ({@code $}) to their text,
 *     integer ({@code :}) to its decimal text, null bulk string / null array to {@code null}, array
 *     ({@code *}) to the {@link List#toString()} form of its decoded elements. An error reply ({@code -})
 *     raises {@link IllegalStateException} whose message contains the Redis error text.</li>
 *     <li>Network failures, including a read that exceeds the timeout, raise {@link UncheckedIOException}
 *     whose cause is the original {@link IOException} (for instance {@link java.net.SocketTimeoutException}
 *     or {@link java.net.ConnectException}).</li>
 *     <li>Without an explicit timeout, {@link #DEFAULT_TIMEOUT} applies to the connect and to every read.</li>
 * </ul>
 * <p>This class is stateless and thread-safe.
 */
public final class RedisCommands {

    /** Connect and read timeout used by the overloads that take no timeout: 30 seconds. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final int DEFAULT_PORT = 6379;

    private RedisCommands() {
    }

    /**
     * Sends one command and returns its decoded reply (see the class documentation for the decoding rules).
     *
     * @param address Redis URI of the server, for example {@code redis://127.0.0.1:6379}
     * @param args    the command and its arguments, for example {@code "PTTL", "my-key"}; at least one
     * @return the decoded reply; {@code null} for a null bulk string or null array
     * @throws IllegalStateException if Redis answers with an error reply
     * @throws UncheckedIOException  if the connection or the exchange fails or times out
     */
    public static String call(String address, String... args) {
        return call(address, DEFAULT_TIMEOUT, args);
    }

    /**
     * Like {@link #call(String, String...)} but with an explicit connect and read timeout, for example a short
     * one to prove that a server does <em>not</em> answer.
     *
     * @param address Redis URI of the server
     * @param timeout connect timeout and socket read timeout; positive
     * @param args    the command and its arguments; at least one
     * @return the decoded reply; {@code null} for a null bulk string or null array
     * @throws IllegalStateException if Redis answers with an error reply
     * @throws UncheckedIOException  if the connection or the exchange fails or times out
     */
    public static String call(String address, Duration timeout, String... args) {
        return render(exchange(address, timeout, args));
    }

    /**
     * Sends one command whose reply is an array and returns its elements, each decoded as by
     * {@link #call(String, String...)}; a null array yields an empty list.
     *
     * @param address Redis URI of the server
     * @param args    the command and its arguments, for example {@code "KEYS", "*"}; at least one
     * @return the decoded elements, in reply order; never {@code null}, unmodifiable
     * @throws IllegalStateException if Redis answers with an error reply or with something other than an array
     * @throws UncheckedIOException  if the connection or the exchange fails or times out
     */
    public static List<String> callForList(String address, String... args) {
        Object reply = exchange(address, DEFAULT_TIMEOUT, args);
        if (reply == null) {
            return List.of();
        }
        if (!(reply instanceof List<?>)) {
            throw new IllegalStateException("Expected an array reply to " + args[0] + " but got: " + render(reply));
        }
        List<String> elements = new ArrayList<>();
        for (Object element : (List<?>) reply) {
            elements.add(render(element));
        }
        return Collections.unmodifiableList(elements);
    }

    /**
     * Sends one command whose reply is an integer, for example {@code PTTL}, {@code EXISTS} or {@code DBSIZE}.
     *
     * @param address Redis URI of the server
     * @param args    the command and its arguments; at least one
     * @return the integer reply
     * @throws IllegalStateException if Redis answers with an error reply or with something other than an integer
     * @throws UncheckedIOException  if the connection or the exchange fails or times out
     */
    public static long callForLong(String address, String... args) {
        Object reply = exchange(address, DEFAULT_TIMEOUT, args);
        if (!(reply instanceof Long)) {
            throw new IllegalStateException("Expected an integer reply to " + args[0] + " but got: " + render(reply));
        }
        return (Long) reply;
    }

    /**
     * Tells whether the server at {@code address} answers {@code PING} with {@code PONG} within
     * {@code timeout}. Never throws for network failures or error replies; those yield {@code false}.
     *
     * @param address Redis URI of the server
     * @param timeout connect timeout and socket read timeout; positive
     * @return {@code true} if and only if the reply was {@code PONG}
     */
    public static boolean ping(String address, Duration timeout) {
        try {
            return "PONG".equals(call(address, timeout, "PING"));
        } catch (UncheckedIOException | IllegalStateException e) {
            return false;
        }
    }

    private static Object exchange(String address, Duration timeout, String... args) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(args, "args");
        if (args.length == 0) {
            throw new IllegalArgumentException("A command needs at least one argument (its name)");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        Target target = Target.parse(address);
        int timeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        try (Socket socket = target.connect(timeoutMillis)) {
            socket.setSoTimeout(timeoutMillis);
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            if (target.password != null) {
                if (target.user == null) {
                    send(out, "AUTH", target.password);
                } else {
                    send(out, "AUTH", target.user, target.password);
                }
                read(in);
            }
            if (target.database != 0) {
                send(out, "SELECT", Integer.toString(target.database));
                read(in);
            }
            send(out, args);
            return read(in);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Redis command " + args[0] + " against " + target.hostAndPort() + " failed: " + e, e);
        }
    }

    private static void send(OutputStream out, String... args) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        buffer.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String arg : args) {
            byte[] bytes = Objects.requireNonNull(arg, "command arguments must not be null")
                    .getBytes(StandardCharsets.UTF_8);
            buffer.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            buffer.writeBytes(bytes);
            buffer.writeBytes(new byte[] {'\r', '\n'});
        }
        out.write(buffer.toByteArray());
        out.flush();
    }

    /** Reads one RESP reply: String, Long, List of replies, or null. */
    private static Object read(InputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("Connection closed by the server before a reply was received");
        }
        String line = readLine(in);
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new IllegalStateException("Redis replied with an error: " + line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] bytes = in.readNBytes(length);
                if (bytes.length != length) {
                    throw new EOFException("Connection closed in the middle of a bulk string");
                }
                readLine(in);
                return new String(bytes, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> elements = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    elements.add(read(in));
                }
                return elements;
            }
            default:
                throw new IOException("Unexpected RESP reply type '" + (char) type + "' followed by: " + line);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int previous = -1;
        while (true) {
            int current = in.read();
            if (current < 0) {
                throw new EOFException("Connection closed in the middle of a reply");
            }
            if (previous == '\r' && current == '\n') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            line.write(current);
            previous = current;
        }
    }

    private static String render(Object reply) {
        if (reply == null) {
            return null;
        }
        if (reply instanceof List<?>) {
            List<String> rendered = new ArrayList<>();
            for (Object element : (List<?>) reply) {
                rendered.add(render(element));
            }
            return rendered.toString();
        }
        return reply.toString();
    }

    /** The parts of a Redis URI that matter for a raw connection. */
    private static final class Target {

        private final boolean tls;
        private final String host;
        private final int port;
        private final String user;
        private final String password;
        private final int database;

        private Target(boolean tls, String host, int port, String user, String password, int database) {
            this.tls = tls;
            this.host = host;
            this.port = port;
            this.user = user;
            this.password = password;
            this.database = database;
        }

        static Target parse(String address) {
            URI uri;
            try {
                uri = URI.create(address.trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Not a Redis URI: " + address, e);
            }
            String scheme = uri.getScheme();
            boolean tls;
            if ("redis".equalsIgnoreCase(scheme)) {
                tls = false;
            } else if ("rediss".equalsIgnoreCase(scheme)) {
                tls = true;
            } else {
                throw new IllegalArgumentException("Not a redis:// or rediss:// URI: " + address);
            }
            String host = uri.getHost();
            if (host == null || host.isEmpty()) {
                throw new IllegalArgumentException("Redis URI without a host: " + address);
            }
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port = uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort();
            String user = null;
            String password = null;
            String userInfo = uri.getUserInfo();
            if (userInfo != null && !userInfo.isEmpty()) {
                int colon = userInfo.indexOf(':');
                if (colon < 0) {
                    password = userInfo;
                } else {
                    user = colon == 0 ? null : userInfo.substring(0, colon);
                    password = userInfo.substring(colon + 1);
                }
            }
            int database = 0;
            String path = uri.getPath();
            if (path != null && path.length() > 1) {
                try {
                    database = Integer.parseInt(path.substring(1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("Redis URI with a non-numeric database: " + address, e);
                }
            }
            return new Target(tls, host, port, user, password, database);
        }

        Socket connect(int timeoutMillis) throws IOException {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress(host, port), timeoutMillis);
                if (!tls) {
                    return socket;
                }
                socket.setSoTimeout(timeoutMillis);
                SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault())
                        .createSocket(socket, host, port, true);
                ssl.startHandshake();
                return ssl;
            } catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
            }
        }

        String hostAndPort() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * @param text what follows the client address in a {@code MONITOR} line
     * @return its double-quoted words, the command first (escapes kept as they are, except {@code \"})
     */
    public static List<String> monitorWords(String text) {
        List<String> words = new ArrayList<>();
        int i = 0;
        while ((i = text.indexOf('"', i)) >= 0) {
            StringBuilder word = new StringBuilder();
            int j = i + 1;
            while (j < text.length() && text.charAt(j) != '"') {
                if (text.charAt(j) == '\\' && j + 1 < text.length()) {
                    j++;
                }
                word.append(text.charAt(j++));
            }
            words.add(word.toString());
            i = j + 1;
        }
        return words;
    }
}
