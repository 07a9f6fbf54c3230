package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.testing.CdiContainers;
import io.github.distributedmutex.testing.JvmProcess;
import io.github.distributedmutex.testing.TestRedis;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An application without Micrometer, OpenTelemetry, MicroProfile Health and Mutiny deploys and runs
 * unchanged: {@link WithoutOptionalApis} runs in a JVM whose class path is this one without those
 * jars and locks through the adapter and a {@code @Locked} method, with bean discovery on (the
 * library's archive scanned as on a server) and off. With discovery off, the JVM's class-loading log
 * shows that the library loaded none of its integrations with those APIs (its
 * {@code metrics.micrometer}, {@code metrics.otel} and {@code health} packages, {@code cdi.MutinyLocking} and
 * {@code cdi.VertxContexts}), nor Vert.x. An application with Mutiny but without Vert.x runs a {@code @Locked Uni}
 * method and loads no Vert.x class.
 * The same program on the full class path loads them, so the log does show such classes when they are loaded.
 */
class NoOptionalIntegrationsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    /** Jars of the optional APIs and what only they bring. */
    private static final Pattern OPTIONAL_JAR = Pattern.compile(
            ".*/(io/micrometer|io/opentelemetry|org/eclipse/microprofile/health|org/hdrhistogram|org/latencyutils"
                    + "|io/smallrye/reactive|org/jctools|io/vertx)/.*");
    /** Vert.x's own jars (Netty stays: Redisson needs it). */
    private static final Pattern VERTX_JAR = Pattern.compile(".*/io/vertx/.*");
    /** Classes that must not be loaded without the APIs. */
    private static final Pattern INTEGRATION_CLASS = Pattern.compile(
            "(io\\.micrometer\\.|io\\.opentelemetry\\.|org\\.eclipse\\.microprofile\\.health\\.|io\\.smallrye\\.mutiny\\."
                    + "|io\\.vertx\\.|io\\.github\\.distributedmutex\\.internal\\.(metrics\\.micrometer\\.|metrics\\.otel\\."
                    + "|health\\.|cdi\\.MutinyLocking|cdi\\.VertxContexts))\\S*");
    /** Classes that must not be loaded without Vert.x. */
    private static final Pattern VERTX_CLASS = Pattern.compile("(io\\.vertx\\.|io\\.github\\.distributedmutex\\.internal"
            + "\\.cdi\\.VertxContexts\\$OnVertx)\\S*");

    @TempDir
    Path logs;

    @ParameterizedTest
    @ValueSource(strings = {"discovery", "no-discovery"})
    void runsWithoutThemAndNeverLoadsTheIntegrations(String mode) throws Exception {
        List<String> full = applicationClassPath();
        List<String> without = full.stream().filter(entry -> !OPTIONAL_JAR.matcher(entry.replace('\\', '/')).matches())
                .toList();
        assertThat(full.size() - without.size()).as("the optional jars removed from the class path")
                .isGreaterThanOrEqualTo(7);

        List<String> loaded = run(mode, String.join(File.pathSeparator, without));
        assertThat(loaded).as("classes loaded").anyMatch(line -> line.contains("io.github.distributedmutex.internal"
                + ".cdi.AdapterProducer"));
        if (mode.equals("no-discovery")) {
            // With discovery on, Weld SE (without a Jandex index) tries to load every class of a bean archive to read
            // its annotations, and skips those that cannot be loaded: the container, not the library, touches them.
            assertThat(loaded).filteredOn(line -> INTEGRATION_CLASS.matcher(line).find()).isEmpty();
        }
    }

    @Test
    void theClassLoadingLogShowsTheIntegrationsWhenTheApisArePresent() throws Exception {
        List<String> loaded = run("no-discovery-with-apis", String.join(File.pathSeparator, applicationClassPath()));
        assertThat(loaded).anyMatch(line -> line.contains("io.github.distributedmutex.internal.health.RedisReadinessCheck"));
        assertThat(loaded).anyMatch(line -> line.contains("io.github.distributedmutex.internal.metrics.micrometer."));
    }

    /**
     * An application with Mutiny but without Vert.x runs a {@code @Locked Uni} method and loads no Vert.x class (the
     * library looks for Vert.x by name, and only {@code VertxContexts.OnVertx} names it); with Vert.x on the class
     * path, the same program does load that class.
     */
    @ParameterizedTest
    @ValueSource(strings = {"without-vertx", "with-vertx"})
    void aUniMethodWithoutVertxLoadsNoVertxClass(String mode) throws Exception {
        List<String> full = applicationClassPath(UniWithoutVertx.class, UniWithoutVertx.Jobs.class);
        List<String> classpath = mode.equals("with-vertx") ? full : full.stream()
                .filter(entry -> !VERTX_JAR.matcher(entry.replace('\\', '/')).matches()).toList();
        assertThat(full.size() - classpath.size()).as("the Vert.x jars removed")
                .isEqualTo(mode.equals("with-vertx") ? 0 : 1);

        List<String> loaded = run(mode, String.join(File.pathSeparator, classpath), UniWithoutVertx.class,
                UniWithoutVertx.DONE);
        assertThat(loaded).as("classes loaded").anyMatch(line -> line.contains("internal.cdi.MutinyLocking "))
                .anyMatch(line -> line.contains("internal.cdi.VertxContexts "));
        if (mode.equals("with-vertx")) {
            assertThat(loaded).anyMatch(line -> VERTX_CLASS.matcher(line).find());
        } else {
            assertThat(loaded).filteredOn(line -> VERTX_CLASS.matcher(line).find()).isEmpty();
        }
    }

    private List<String> applicationClassPath() throws Exception {
        return applicationClassPath(WithoutOptionalApis.class, WithoutOptionalApis.Jobs.class);
    }

    /**
     * @return this test's class path with the test classes replaced by the application's own classes
     *         ({@link WithoutOptionalApis} and its bean): OpenWebBeans SE with discovery on scans every
     *         class path directory, and the other tests' deliberately invalid beans would fail its start
     */
    private List<String> applicationClassPath(Class<?>... classes) throws Exception {
        Path application = logs.resolve("application-classes");
        for (Class<?> type : classes) {
            String file = type.getName().replace('.', '/') + ".class";
            Path target = application.resolve(file);
            Files.createDirectories(target.getParent());
            try (var in = type.getClassLoader().getResourceAsStream(file)) {
                Files.copy(Objects.requireNonNull(in, file), target);
            }
        }
        Path testClasses = Path.of(WithoutOptionalApis.class.getProtectionDomain().getCodeSource().getLocation()
                .toURI()).toAbsolutePath();
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            entries.add(Path.of(entry).toAbsolutePath().equals(testClasses) ? application.toString() : entry);
        }
        assertThat(entries).as("the test classes were replaced").contains(application.toString());
        return entries;
    }

    /** @return the class-loading log of one run of {@link WithoutOptionalApis}, which must succeed */
    private List<String> run(String mode, String classpath) throws Exception {
        return run(mode, classpath, WithoutOptionalApis.class, WithoutOptionalApis.DONE);
    }

    /** @return the class-loading log of one run of {@code main}, which must succeed and print {@code done} */
    private List<String> run(String mode, String classpath, Class<?> main, String done) throws Exception {
        Path classLog = logs.resolve(mode + "-classes.log");
        Map<String, String> properties = Map.of(CdiContainers.ADDRESS, TestRedis.address(),
                CdiContainers.KEY_PREFIX, CdiContainers.uniquePrefix());
        try (JvmProcess jvm = JvmProcess.start("without-apis-" + mode, main, classpath,
                List.of("-Xlog:class+load=info:file=" + classLog), properties, Map.of(), mode)) {
            assertThat(jvm.awaitExit(TIMEOUT)).as("exit status of " + mode + "; output: " + jvm.lines()).isZero();
            assertThat(jvm.lines()).contains(done + " " + mode);
        }
        return read(classLog);
    }

    private static List<String> read(Path log) throws IOException {
        try (var lines = Files.lines(log)) {
            return lines.collect(Collectors.toList());
        }
    }
}
