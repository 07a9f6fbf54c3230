package io.github.distributedmutex.it.wfp;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One application server running the WAR as a separate process: WildFly (bin/standalone.sh with a
 * port offset and its own base directory), Payara Micro ({@code java -jar payara-micro.jar}) or Open
 * Liberty ({@code bin/server run} with a generated server.xml in its own user directory). Stopped by
 * pid, with its child processes.
 */
final class ServerProcess implements AutoCloseable {

    /** WildFly's default socket bindings (standalone.xml); the port offset moves them all. */
    private static final int[] WILDFLY_PORTS = {8080, 8443, 9990, 9993, 8009, 4712, 4713};
    private static final String CONTEXT = "wfp-app";
    /**
     * Open Liberty messages that end a start: an application that failed to start (CWWKZ0002E, CWWKZ0004E), a
     * feature that is missing or conflicts with another (CWWKF...E).
     */
    private static final Pattern LIBERTY_FAILED = Pattern.compile("CWWKZ000[24]E|CWWKF\\d{4}E");
    /** WildFly's boot message when a service failed (a port taken, for one): it would never answer. */
    private static final Pattern WILDFLY_FAILED = Pattern.compile("WFLYSRV0026: .* started \\(with errors\\)");
    private static final Set<String> LIBERTY_SCRIPT_VARIABLES =
            Set.of("JVM_ARGS", "LOG_DIR", "LOG_FILE", "OPENJ9_JAVA_OPTIONS", "IBM_JAVA_OPTIONS", "SERVER_WORKING_DIR");

    final String name;
    final String kind;
    /** whether the server has Jakarta Concurrency 3.1 (EE 11) and so schedules {@code @Asynchronous(runAt)} */
    final boolean concurrency31;
    final Process process;
    final Path log;
    final URI api;
    /** the server's MicroProfile Health readiness endpoint */
    final URI health;
    final String command;
    private final long startedNanos = System.nanoTime();
    private final Path failedMarker;
    private final Pattern failedInLog;
    Duration readyAfter;
    Map<String, String> ping;
    String stopped;

    private ServerProcess(String name, String kind, boolean concurrency31, Process process, Path log, URI api,
                          URI health, String command, Path failedMarker, Pattern failedInLog) {
        this.name = name;
        this.kind = kind;
        this.concurrency31 = concurrency31;
        this.process = process;
        this.log = log;
        this.api = api;
        this.health = health;
        this.command = command;
        this.failedMarker = failedMarker;
        this.failedInLog = failedInLog;
    }

    /**
     * Starts WildFly with its own copy of {@code standalone/} (configuration + deployments) so that
     * several instances can run from one unpacked distribution.
     *
     * @param tickSecond the seconds field of the application's offset timers ({@code it.tick.second})
     */
    static ServerProcess wildFly(String name, Path home, Path war, Path workDir, Set<Integer> takenPorts,
                                 String redisAddress, Path javaHome, List<String> jvmOptions, String tickSecond,
                                 Map<String, String> telemetry)
            throws IOException {
        Path base = workDir.resolve(name);
        copyTree(home.resolve("standalone/configuration"), base.resolve("configuration"));
        addMicroProfileHealth(base.resolve("configuration/standalone.xml"));
        addMicroProfileTelemetry(base.resolve("configuration/standalone.xml"));
        Files.createDirectories(base.resolve("deployments"));
        Files.copy(war, base.resolve("deployments/" + CONTEXT + ".war"), StandardCopyOption.REPLACE_EXISTING);
        int offset = portOffset(takenPorts);
        List<String> command = new ArrayList<>(List.of("sh", home.resolve("bin/standalone.sh").toString(),
                "-Djboss.server.base.dir=" + base,
                "-Djboss.socket.binding.port-offset=" + offset,
                "-b", "127.0.0.1", "-bmanagement", "127.0.0.1"));
        // system properties: WildFly's MicroProfile Telemetry passes the application's MicroProfile Config
        // properties named otel.* to the SDK (environment variables would arrive as OTEL_*, which it does not map)
        command.addAll(systemProperties(telemetry));
        Path log = workDir.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.remove("JBOSS_HOME");
        env.remove("JAVA_OPTS");
        env.put("JAVA_HOME", javaHome.toString());
        // standalone.conf's hook for heap options; the rest of its defaults stay
        env.put("JBOSS_JAVA_SIZING", String.join(" ", concat(List.of("-Xms64m", "-Xmx512m"), jvmOptions)));
        // configuration through WildFly's MicroProfile Config: environment variables (ordinal 300)
        env.put("DISTRIBUTEDMUTEX_REDIS_ADDRESS", redisAddress);
        env.put("IT_SERVER_NAME", name);
        env.put("IT_TICK_SECOND", tickSecond);
        Process process = Processes.track(builder.start());
        URI api = URI.create("http://127.0.0.1:" + (8080 + offset) + "/" + CONTEXT + "/api/");
        // MicroProfile Health is served on the management interface
        URI health = URI.create("http://127.0.0.1:" + (9990 + offset) + "/health/ready");
        return new ServerProcess(name, "WildFly", false, process, log, api, health,
                "DISTRIBUTEDMUTEX_REDIS_ADDRESS=" + redisAddress + " IT_SERVER_NAME=" + name + " IT_TICK_SECOND='"
                        + tickSecond + "' JAVA_HOME=" + javaHome
                        + " JBOSS_JAVA_SIZING='" + env.get("JBOSS_JAVA_SIZING") + "' " + String.join(" ", command),
                base.resolve("deployments/" + CONTEXT + ".war.failed"), WILDFLY_FAILED);
    }

    /**
     * Starts Payara Micro on a free port, with its own root directory.
     *
     * @param tickSecond the seconds field of the application's offset timers ({@code it.tick.second})
     */
    static ServerProcess payara(String name, Path jar, Path war, Path workDir, Set<Integer> takenPorts,
                                String redisAddress, Path javaHome, List<String> jvmOptions, String tickSecond,
                                Map<String, String> telemetry)
            throws IOException {
        Path root = workDir.resolve(name);
        Files.createDirectories(root);
        Path app = root.resolve(CONTEXT + ".war");
        Files.copy(war, app, StandardCopyOption.REPLACE_EXISTING);
        int port = Processes.freePort(takenPorts);
        // configuration through Payara's MicroProfile Config: system properties (ordinal 400)
        List<String> command = new ArrayList<>(List.of(javaHome.resolve("bin/java").toString(), "-Xmx512m"));
        command.addAll(jvmOptions);
        // MicroProfile Telemetry reads otel.* through MicroProfile Config: system properties (ordinal 400)
        command.addAll(systemProperties(telemetry));
        command.addAll(List.of(
                "-Ddistributedmutex.redis.address=" + redisAddress,
                "-Dit.server.name=" + name,
                "-Dit.tick.second=" + tickSecond,
                "-jar", jar.toString(), "--nocluster", "--port", Integer.toString(port),
                "--rootDir", root.resolve("runtime").toString(), "--deploy", app.toString()));
        Path log = workDir.resolve(name + ".log");
        Process process = Processes.track(new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start());
        URI api = URI.create("http://127.0.0.1:" + port + "/" + CONTEXT + "/api/");
        URI health = URI.create("http://127.0.0.1:" + port + "/health/ready");
        return new ServerProcess(name, "Payara Micro", true, process, log, api, health, String.join(" ", command),
                null, null);
    }

    /**
     * Starts Open Liberty from the unpacked runtime, with its own user directory ({@code WLP_USER_DIR}) holding a
     * server {@code it} whose server.xml enables only the features the WAR needs and carries the configuration as
     * {@code <variable>} elements, which Liberty's MicroProfile Config reads (ordinal 500). The WAR is declared as a
     * {@code <webApplication>} under the context root the test uses everywhere.
     *
     * @param tickSecond the seconds field of the application's offset timers ({@code it.tick.second})
     */
    static ServerProcess liberty(String name, Path home, Path war, Path workDir, Set<Integer> takenPorts,
                                 String redisAddress, Path javaHome, List<String> jvmOptions, String tickSecond,
                                 Map<String, String> telemetry)
            throws IOException {
        Path userDir = workDir.resolve(name);
        Path serverDir = userDir.resolve("servers/it");
        Files.createDirectories(serverDir.resolve("apps"));
        Files.copy(war, serverDir.resolve("apps/" + CONTEXT + ".war"), StandardCopyOption.REPLACE_EXISTING);
        int port = Processes.freePort(takenPorts);
        Files.writeString(serverDir.resolve("server.xml"), libertyServerXml(port, redisAddress, name, tickSecond),
                StandardCharsets.UTF_8);
        // one option per line; the server script passes them to the JVM
        // MicroProfile Telemetry 2.x set up as system properties: the runtime-wide OpenTelemetry SDK, which the
        // application's OpenTelemetry bean is too
        Files.write(serverDir.resolve("jvm.options"), concat(concat(List.of("-Xmx512m"), jvmOptions),
                systemProperties(telemetry)), StandardCharsets.UTF_8);
        List<String> command = List.of("sh", home.resolve("bin/server").toString(), "run", "it");
        Path log = workDir.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        // the server script's own knobs, should the test's environment carry any
        env.keySet().removeIf(key -> key.startsWith("WLP_") || LIBERTY_SCRIPT_VARIABLES.contains(key));
        env.put("WLP_USER_DIR", userDir.toString());
        env.put("JAVA_HOME", javaHome.toString());
        Process process = Processes.track(builder.start());
        URI api = URI.create("http://127.0.0.1:" + port + "/" + CONTEXT + "/api/");
        URI health = URI.create("http://127.0.0.1:" + port + "/health/ready");
        return new ServerProcess(name, "Open Liberty", true, process, log, api, health,
                "WLP_USER_DIR=" + userDir + " JAVA_HOME=" + javaHome + " " + String.join(" ", command)
                        + " (server.xml and jvm.options in " + serverDir + ")",
                null, LIBERTY_FAILED);
    }

    /**
     * The features are the WAR's needs: CDI 4.1; Servlet 6.1 (the REST resources inject the {@code ServletContext}:
     * without the feature, Jakarta REST 4.0 runs on Servlet internally but the application cannot see its API);
     * Jakarta REST 4.0; MicroProfile Config 3.1; Enterprise Beans Lite 4.0 (singletons, non-persistent timers, and
     * the transaction support behind {@code @Transactional} and the {@code TransactionSynchronizationRegistry});
     * Jakarta Concurrency 3.1 (the default managed executors, {@code @Asynchronous(runAt)}); MicroProfile Health 4.0
     * (the library's readiness check, at {@code /health/ready}); MicroProfile Telemetry 2.1 (OpenTelemetry, where
     * the library records its metrics).
     */
    static String libertyServerXml(int httpPort, String redisAddress, String serverName, String tickSecond) {
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <server description="distributed-mutex integration test">
                    <featureManager>
                        <feature>cdi-4.1</feature>
                        <feature>servlet-6.1</feature>
                        <feature>restfulWS-4.0</feature>
                        <feature>mpConfig-3.1</feature>
                        <feature>enterpriseBeansLite-4.0</feature>
                        <feature>concurrent-3.1</feature>
                        <feature>mpHealth-4.0</feature>
                        <feature>mpTelemetry-2.1</feature>
                    </featureManager>

                    <httpEndpoint id="defaultHttpEndpoint" host="127.0.0.1" httpPort="%d" httpsPort="-1"/>

                    <!-- MicroProfile Config reads server.xml variables (ordinal 500) -->
                    <variable name="distributedmutex.redis.address" value="%s"/>
                    <variable name="it.server.name" value="%s"/>
                    <variable name="it.tick.second" value="%s"/>

                    <webApplication location="%s.war" contextRoot="/%s"/>
                </server>
                """.formatted(httpPort, xml(redisAddress), xml(serverName), xml(tickSecond), CONTEXT, CONTEXT);
    }

    /**
     * Adds MicroProfile Health (SmallRye) to a copy of WildFly's {@code standalone.xml}, as
     * {@code standalone-microprofile.xml} has it, without authentication: that file has no EJB subsystem, which the
     * WAR's timers need. Its endpoints are on the management interface ({@code 9990} + offset).
     */
    static void addMicroProfileHealth(Path standaloneXml) throws IOException {
        String xml = Files.readString(standaloneXml, StandardCharsets.UTF_8);
        if (!xml.contains("</extensions>") || !xml.contains("</profile>")) {
            throw new IllegalStateException("no </extensions> or </profile> in " + standaloneXml);
        }
        xml = xml.replace("</extensions>",
                "    <extension module=\"org.wildfly.extension.microprofile.health-smallrye\"/>\n    </extensions>")
                .replace("</profile>", "    <subsystem xmlns=\"urn:wildfly:microprofile-health-smallrye:3.0\""
                        + " security-enabled=\"false\"/>\n    </profile>");
        Files.writeString(standaloneXml, xml, StandardCharsets.UTF_8);
    }

    /**
     * Adds WildFly's OpenTelemetry and MicroProfile Telemetry subsystems to a copy of {@code standalone.xml}, as
     * {@code standalone-microprofile.xml} has them: the application then gets an {@code OpenTelemetry} bean, disabled
     * unless its MicroProfile Config says {@code otel.sdk.disabled=false}.
     */
    static void addMicroProfileTelemetry(Path standaloneXml) throws IOException {
        String xml = Files.readString(standaloneXml, StandardCharsets.UTF_8);
        xml = xml.replace("</extensions>",
                "    <extension module=\"org.wildfly.extension.microprofile.telemetry\"/>\n"
                        + "        <extension module=\"org.wildfly.extension.opentelemetry\"/>\n    </extensions>")
                .replace("</profile>", "    <subsystem xmlns=\"urn:wildfly:microprofile-telemetry:1.0\"/>\n"
                        + "        <subsystem xmlns=\"urn:wildfly:opentelemetry:1.1\"/>\n    </profile>");
        Files.writeString(standaloneXml, xml, StandardCharsets.UTF_8);
    }

    /**
     * The OpenTelemetry settings that make a server export its metrics, and only them, over OTLP http/protobuf to
     * {@code receiver} every second. Both endpoints are given: the metrics one is used as it is, the general one gets
     * {@code /v1/metrics} appended by the SDK.
     */
    static Map<String, String> otlpMetrics(String serverName, URI base, URI metricsEndpoint) {
        Map<String, String> settings = new java.util.LinkedHashMap<>();
        settings.put("otel.sdk.disabled", "false");
        settings.put("otel.service.name", serverName);
        settings.put("otel.metrics.exporter", "otlp");
        settings.put("otel.traces.exporter", "none");
        settings.put("otel.logs.exporter", "none");
        settings.put("otel.exporter.otlp.protocol", "http/protobuf");
        settings.put("otel.exporter.otlp.metrics.protocol", "http/protobuf");
        settings.put("otel.exporter.otlp.endpoint", base.toString());
        settings.put("otel.exporter.otlp.metrics.endpoint", metricsEndpoint.toString());
        settings.put("otel.metric.export.interval", "1000");
        return settings;
    }

    private static List<String> systemProperties(Map<String, String> properties) {
        return properties.entrySet().stream().map(e -> "-D" + e.getKey() + "=" + e.getValue()).toList();
    }

    private static String xml(String value) {
        return value.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Waits until {@code GET api/ping} answers, failing early when the process dies or the deployment fails. */
    void awaitReady(Duration timeout, Http http) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(this + " exited with " + process.exitValue() + " before it was ready:\n"
                        + Processes.tail(log, 60));
            }
            if (failedInLog != null) {
                Matcher failed = failedInLog.matcher(Processes.tail(log, 400));
                if (failed.find()) {
                    throw new IllegalStateException(this + ": start failed (" + failed.group() + "):\n"
                            + Processes.tail(log, 60));
                }
            }
            if (failedMarker != null && Files.exists(failedMarker)) {
                String why;
                try {
                    why = Files.readString(failedMarker, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    why = e.toString();
                }
                throw new IllegalStateException(this + ": deployment failed: " + why + "\n" + Processes.tail(log, 60));
            }
            try {
                ping = http.get(api.resolve("ping"), Duration.ofSeconds(3));
                readyAfter = Duration.ofNanos(System.nanoTime() - startedNanos);
                return;
            } catch (Exception notYet) {
                last = notYet;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(this + " not ready after " + timeout.toSeconds() + " s (last: " + last + "):\n"
                + Processes.tail(log, 60));
    }

    @Override
    public void close() {
        long t0 = System.nanoTime();
        String how = Processes.stop(process, 30);
        stopped = how + " in " + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms";
    }

    @Override
    public String toString() {
        return name + " (" + kind + ", pid " + process.pid() + ", " + api + ", health " + health + ", log " + log + ")";
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static int portOffset(Set<Integer> taken) {
        Random random = new Random();
        for (int attempt = 0; attempt < 500; attempt++) {
            // every port below 32768, where Linux's default ephemeral range begins: a port checked free there can
            // still be taken by any outgoing connection before WildFly binds it (seen: "Address already in use")
            int offset = 1000 + random.nextInt(21_000);
            boolean free = true;
            for (int port : WILDFLY_PORTS) {
                free &= !taken.contains(port + offset) && Processes.portFree(port + offset);
            }
            if (free) {
                for (int port : WILDFLY_PORTS) {
                    taken.add(port + offset);
                }
                return offset;
            }
        }
        throw new IllegalStateException("no free WildFly port offset found");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        List<Path> paths = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(from)) {
            walk.forEach(paths::add);
        }
        paths.sort(Comparator.naturalOrder());
        for (Path source : paths) {
            Path target = to.resolve(from.relativize(source).toString());
            if (Files.isDirectory(source)) {
                Files.createDirectories(target);
            } else {
                Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
