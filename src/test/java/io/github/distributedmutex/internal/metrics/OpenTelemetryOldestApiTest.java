package io.github.distributedmutex.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.testing.JvmProcess;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The OpenTelemetry recorder runs on the oldest OpenTelemetry API the library supports, 1.29 (what
 * MicroProfile Telemetry 2.0 requires, and what Payara Micro 7.2025.1 ships), although the library is
 * compiled against a newer one: {@link OpenTelemetryOnOldestApi} runs in a JVM whose OpenTelemetry jars
 * are 1.29 (copied to {@code opentelemetry.oldest.dir} by the build) and records every instrument.
 * Before the recorder checked for the bucket-advice method (API 1.32), it failed there with a
 * {@code NoSuchMethodError}, and so did the deployment on Payara Micro.
 */
class OpenTelemetryOldestApiTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @Test
    void recordsEveryInstrumentOnOpenTelemetry129() throws Exception {
        Path oldest = Path.of(System.getProperty("opentelemetry.oldest.dir", "target/opentelemetry-1.29.0"));
        List<String> oldJars = jars(oldest);
        assertThat(oldJars).as("OpenTelemetry 1.29 jars in " + oldest).hasSizeGreaterThanOrEqualTo(5)
                .allMatch(jar -> jar.contains("1.29.0"));
        List<String> classpath = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.replace('\\', '/').contains("/io/opentelemetry/")) {
                classpath.add(entry);
            }
        }
        classpath.addAll(oldJars);

        try (JvmProcess jvm = JvmProcess.start("opentelemetry-1.29", OpenTelemetryOnOldestApi.class,
                String.join(File.pathSeparator, classpath), List.of(), Map.of(), Map.of())) {
            assertThat(jvm.awaitExit(TIMEOUT)).as("exit status; output: " + jvm.lines()).isZero();
            List<String> lines = jvm.lines();
            assertThat(lines).anyMatch(line -> line.startsWith("opentelemetry-api at ") && line.contains("1.29.0"));
            assertThat(lines).as("API 1.29 has no bucket advice: the test runs the path that failed on Payara")
                    .contains("bucket advice: false");
            assertThat(lines).as("API 1.29 has no GlobalOpenTelemetry.isSet(): not set, no NoSuchMethodError")
                    .contains("global set: false");
            assertThat(lines).contains("collected: " + String.join(" ", new TreeSet<>(List.of(
                    Instruments.ACQUIRE_DURATION, Instruments.HOLD_DURATION, Instruments.HELD, Instruments.WAITERS,
                    Instruments.RENEWALS, Instruments.LOST))));
            assertThat(lines).contains(OpenTelemetryOnOldestApi.DONE);
        }
    }

    private static List<String> jars(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(file -> file.toString().endsWith(".jar")).map(file -> file.toAbsolutePath().toString())
                    .sorted().toList();
        }
    }
}
