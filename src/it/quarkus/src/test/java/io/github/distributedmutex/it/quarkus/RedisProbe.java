package io.github.distributedmutex.it.quarkus;

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

/** One Redis command over a raw socket (RESP), independent of the library and of Redisson. */
final class RedisProbe {

    private RedisProbe() {
    }

    /**
     * @param address {@code redis://[user:password@]host:port}
     * @param args    the command and its arguments
     * @return the simple-string, error or integer reply as text; {@code null} for a nil reply
     */
    static String call(String address, String... args) {
        URI uri = URI.create(address);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 2_000);
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String userInfo = uri.getUserInfo();
            if (userInfo != null && !userInfo.isEmpty()) {
                int colon = userInfo.indexOf(':');
                String[] auth = colon < 0 ? new String[] {"AUTH", userInfo}
                        : colon == 0 ? new String[] {"AUTH", userInfo.substring(1)}
                        : new String[] {"AUTH", userInfo.substring(0, colon), userInfo.substring(colon + 1)};
                send(out, auth);
                read(in);
            }
            send(out, args);
            return read(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Redis at " + uri.getHost() + ":" + uri.getPort() + " did not answer", e);
        }
    }

    private static void send(OutputStream out, String... args) throws IOException {
        StringBuilder command = new StringBuilder("*").append(args.length).append("\r\n");
        for (String arg : args) {
            command.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n")
                    .append(arg).append("\r\n");
        }
        out.write(command.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static String read(InputStream in) throws IOException {
        int type = in.read();
        String line = line(in);
        switch (type) {
            case '+':
            case ':':
                return line;
            case '-':
                return "ERR " + line;
            case '$':
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] bulk = in.readNBytes(length + 2);
                return new String(bulk, 0, length, StandardCharsets.UTF_8);
            default:
                throw new IOException("unexpected reply type " + (char) type + line);
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int previous = -1;
        for (int b = in.read(); b != -1; b = in.read()) {
            if (previous == '\r' && b == '\n') {
                byte[] all = bytes.toByteArray();
                return new String(all, 0, all.length - 1, StandardCharsets.UTF_8);
            }
            bytes.write(b);
            previous = b;
        }
        throw new IOException("connection closed");
    }
}
