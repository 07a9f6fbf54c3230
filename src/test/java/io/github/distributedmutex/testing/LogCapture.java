package io.github.distributedmutex.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Captures what the library logs while it is open. The tests log through slf4j-simple, which
 * writes to {@code System.err} at the moment of each log call (configured in
 * {@code simplelogger.properties}); this fixture tees that stream, so the output still reaches
 * the test report. Lines look like {@code [thread] LEVEL logger - message}.
 *
 * <pre>{@code
 * try (LogCapture logs = LogCapture.start()) {
 *     ...
 *     assertThat(logs.lines("ERROR")).anyMatch(line -> line.contains("expired"));
 * }
 * }</pre>
 */
public final class LogCapture implements AutoCloseable {

    private final PrintStream original;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    private LogCapture() {
        original = System.err;
        PrintStream tee = new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                synchronized (captured) {
                    captured.write(b);
                }
                original.write(b);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                synchronized (captured) {
                    captured.write(bytes, offset, length);
                }
                original.write(bytes, offset, length);
            }
        }, true, StandardCharsets.UTF_8);
        System.setErr(tee);
    }

    /** @return a capture that runs until closed */
    public static LogCapture start() {
        return new LogCapture();
    }

    /** @return every captured line */
    public List<String> lines() {
        String text;
        synchronized (captured) {
            text = captured.toString(StandardCharsets.UTF_8);
        }
        return Arrays.stream(text.split("\\R")).filter(line -> !line.isEmpty()).toList();
    }

    /**
     * @param level a log level such as {@code WARN}
     * @return the captured lines of that level
     */
    public List<String> lines(String level) {
        return lines().stream().filter(line -> line.contains(" " + level + " ")).toList();
    }

    @Override
    public void close() {
        System.setErr(original);
    }
}
