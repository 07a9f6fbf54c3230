package io.github.distributedmutex.it.wfp;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocketFactory;

/**
 * A minimal Redis client (RESP2 over one socket), independent of the library under test and of
 * Redisson, so that what it observes in Redis is not colored by the code being tested. Used by the
 * application (probes) and by the test (setup, assertions). Not thread-safe: one per use.
 */
public final class Resp implements Closeable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private Resp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /**
     * @param address {@code redis://[user:password@]host:port} or {@code rediss://...}
     * @return a connected client (authenticated when the address carries credentials)
     */
    public static Resp connect(String address) {
        URI uri = URI.create(address.trim());
        String host = uri.getHost() == null ? "127.0.0.1" : uri.getHost();
        int port = uri.getPort() < 0 ? 6379 : uri.getPort();
        try {
            Socket socket = "rediss".equalsIgnoreCase(uri.getScheme())
                    ? SSLSocketFactory.getDefault().createSocket()
                    : new Socket();
            socket.connect(new InetSocketAddress(host, port), 5_000);
            socket.setSoTimeout(30_000);
            socket.setTcpNoDelay(true);
            Resp resp = new Resp(socket);
            String userInfo = uri.getRawUserInfo();
            if (userInfo != null && !userInfo.isEmpty()) {
                int colon = userInfo.indexOf(':');
                String user = colon < 0 ? "" : decode(userInfo.substring(0, colon));
                String password = decode(colon < 0 ? userInfo : userInfo.substring(colon + 1));
                if (user.isEmpty()) {
                    resp.call("AUTH", password);
                } else {
                    resp.call("AUTH", user, password);
                }
            }
            return resp;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to Redis at " + host + ":" + port, e);
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    /**
     * @param args the command and its arguments
     * @return String (simple or bulk), Long (integer), List (array) or null
     */
    public synchronized Object call(String... args) {
        try {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            buffer.write(('*' + Integer.toString(args.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (String arg : args) {
                byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
                buffer.write(('$' + Integer.toString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                buffer.write(bytes);
                buffer.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write(buffer.toByteArray());
            out.flush();
            return read();
        } catch (IOException e) {
            throw new UncheckedIOException("Redis command " + args[0] + " failed", e);
        }
    }

    private Object read() throws IOException {
        int type = in.read();
        String line = readLine();
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new IllegalStateException("Redis error: " + line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] data = in.readNBytes(length + 2);
                return new String(data, 0, length, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    items.add(read());
                }
                return items;
            }
            case -1:
                throw new IOException("connection closed by Redis");
            default:
                throw new IOException("unexpected RESP type '" + (char) type + "'");
        }
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\r') {
                in.read(); // '\n'
                break;
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    /** @return Redis's clock (TIME) in microseconds: one clock for every server of the test */
    public long timeMicros() {
        List<?> time = (List<?>) call("TIME");
        return Long.parseLong((String) time.get(0)) * 1_000_000L + Long.parseLong((String) time.get(1));
    }

    /** @return whether the key exists */
    public boolean exists(String key) {
        return (Long) call("EXISTS", key) == 1L;
    }

    /** @return the key's value as a number, 0 when absent */
    public long getLong(String key) {
        Object value = call("GET", key);
        return value == null ? 0L : Long.parseLong((String) value);
    }

    /** @return the new value */
    public long incr(String key) {
        return (Long) call("INCR", key);
    }

    /** @return the new value */
    public long decr(String key) {
        return (Long) call("DECR", key);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
