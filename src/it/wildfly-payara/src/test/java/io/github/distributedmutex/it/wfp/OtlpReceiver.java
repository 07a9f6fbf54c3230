package io.github.distributedmutex.it.wfp;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPInputStream;

/**
 * A tiny OTLP/HTTP receiver for one server: accepts any {@code POST} on 127.0.0.1 (OTLP metrics are posted to
 * {@code /v1/metrics}; the path is recorded, not required), answers 200 with an empty protobuf message (a valid
 * {@code Export...ServiceResponse}), and remembers which of the wanted strings it has seen in a body. Protobuf
 * carries strings as plain UTF-8 bytes, so an instrument's name appears as such in an uncompressed (or gunzipped)
 * request. Nothing is decoded further.
 */
final class OtlpReceiver implements AutoCloseable {

    private final HttpServer server;
    private final Set<String> wanted;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final Set<String> paths = ConcurrentHashMap.newKeySet();
    private final AtomicInteger posts = new AtomicInteger();
    private final AtomicReference<String> lastContentType = new AtomicReference<>();

    private OtlpReceiver(HttpServer server, Set<String> wanted) {
        this.server = server;
        this.wanted = wanted;
    }

    /** Starts a receiver on a free port of 127.0.0.1. */
    static OtlpReceiver start(Set<String> wanted) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        OtlpReceiver receiver = new OtlpReceiver(server, Set.copyOf(wanted));
        server.createContext("/", receiver::handle);
        server.start();
        return receiver;
    }

    /** @return the base URL, {@code http://127.0.0.1:port} */
    URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** @return the OTLP/HTTP metrics endpoint, the base URL plus {@code /v1/metrics} */
    URI metricsEndpoint() {
        return base().resolve("/v1/metrics");
    }

    boolean saw(String text) {
        return seen.contains(text);
    }

    /** @return what was received so far, for reports and failure messages */
    String summary() {
        return posts.get() + " POSTs to " + paths + " (last Content-Type " + lastContentType.get() + "), wanted strings seen: "
                + seen;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            if ("POST".equals(exchange.getRequestMethod())) {
                posts.incrementAndGet();
                paths.add(exchange.getRequestURI().getPath());
                lastContentType.set(exchange.getRequestHeaders().getFirst("Content-Type"));
                if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                    try (InputStream gunzip = new GZIPInputStream(new ByteArrayInputStream(body))) {
                        body = gunzip.readAllBytes();
                    }
                }
                // ISO-8859-1 maps each byte to one char: a UTF-8 string's bytes are found as its chars
                String bytes = new String(body, StandardCharsets.ISO_8859_1);
                for (String text : wanted) {
                    if (bytes.contains(new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1))) {
                        seen.add(text);
                    }
                }
                exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, -1);
            } else {
                exchange.sendResponseHeaders(405, -1);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
