package io.github.distributedmutex.it.quarkus.scheduled;

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
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal Redis client for the application's own bookkeeping (RESP2, one connection per command),
 * independent of the library under test and of Redisson, so that what the jobs record is not colored by
 * the code being tested. Plain {@code redis://host:port} addresses only (what the test gives).
 */
final class Resp {

    private Resp() {
    }

    /**
     * @return String (simple or bulk), Long (integer), List (array) or null
     */
    static Object call(String address, String... args) {
        URI uri = URI.create(address.trim());
        String host = uri.getHost() == null ? "127.0.0.1" : uri.getHost();
        int port = uri.getPort() < 0 ? 6379 : uri.getPort();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 5_000);
            socket.setSoTimeout(10_000);
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            buffer.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (String arg : args) {
                byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
                buffer.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
                buffer.writeBytes(bytes);
                buffer.writeBytes(new byte[] {'\r', '\n'});
            }
            out.write(buffer.toByteArray());
            out.flush();
            return read(new BufferedInputStream(socket.getInputStream()));
        } catch (IOException e) {
            throw new UncheckedIOException("Redis command " + args[0] + " against " + host + ":" + port + " failed", e);
        }
    }

    /** @return Redis's clock (TIME) in microseconds: one clock for both instances */
    static long timeMicros(String address) {
        List<?> time = (List<?>) call(address, "TIME");
        return Long.parseLong((String) time.get(0)) * 1_000_000L + Long.parseLong((String) time.get(1));
    }

    private static Object read(InputStream in) throws IOException {
        int type = in.read();
        String line = readLine(in);
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
                    items.add(read(in));
                }
                return items;
            }
            case -1:
                throw new IOException("connection closed by Redis");
            default:
                throw new IOException("unexpected RESP type '" + (char) type + "'");
        }
    }

    private static String readLine(InputStream in) throws IOException {
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
}
