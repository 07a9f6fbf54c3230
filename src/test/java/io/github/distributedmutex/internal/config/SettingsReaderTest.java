package io.github.distributedmutex.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SettingsReaderTest {

    private static Settings read(Map<String, String> values) {
        return SettingsReader.read(key -> Optional.ofNullable(values.get(key)));
    }

    @Test
    void defaultsWhenNothingIsConfigured() {
        Settings settings = read(Map.of());
        assertThat(settings.redisAddress()).isEqualTo("redis://127.0.0.1:6379");
        assertThat(settings.maxWait()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.lease()).isEqualTo(Duration.ofSeconds(60));
        assertThat(settings.keyPrefix()).isEqualTo("distributedmutex:");
        assertThat(settings.redisConfigFile()).isEmpty();
        assertThat(settings.instanceName()).isEqualTo(ProcessHandle.current().pid() + "@" + hostName())
                .isEqualTo(InstanceName.defaultName());
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return InstanceName.defaultName().substring(InstanceName.defaultName().indexOf('@') + 1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"web-1", "pod:7#blue/{x}~released", "ünïcødé", "12345@web-1.example.com"})
    void anInstanceNameIsTakenAsItIsTrimmed(String name) {
        assertThat(read(Map.of("distributedmutex.instance-name", " " + name + " ")).instanceName()).isEqualTo(name);
        assertThat(read(Map.of("distributedmutex.instance-name", "w".repeat(255))).instanceName()).hasSize(255);
    }

    /** The rule holds for settings built in code too. */
    @Test
    void settingsBuiltInCodeRefuseABadInstanceName() {
        assertThatThrownBy(() -> Settings.defaults().withInstanceName("web 1"))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("instanceName 'web 1' is not valid").hasMessageContaining("whitespace");
        assertThatThrownBy(() -> Settings.defaults().withInstanceName(null))
                .isExactlyInstanceOf(NullPointerException.class).hasMessageContaining("instance name");
    }

    @Test
    void readsEveryKey(@TempDir Path dir) throws IOException {
        Path yaml = Files.writeString(dir.resolve("redisson.yaml"), "singleServerConfig:\n  address: redis://h:1\n");
        Settings settings = read(Map.of("distributedmutex.redis.address", "rediss://cache:6380",
                "distributedmutex.redis.config-file", yaml.toString(), "distributedmutex.wait", "250ms",
                "distributedmutex.lease", "PT2M", "distributedmutex.key-prefix", "app1:",
                "distributedmutex.instance-name", "web-1"));
        assertThat(settings.redisAddress()).isEqualTo("rediss://cache:6380");
        assertThat(settings.redisConfigFile()).contains(yaml);
        assertThat(settings.maxWait()).isEqualTo(Duration.ofMillis(250));
        assertThat(settings.lease()).isEqualTo(Duration.ofMinutes(2));
        assertThat(settings.keyPrefix()).isEqualTo("app1:");
        assertThat(settings.instanceName()).isEqualTo("web-1");
    }

    @Test
    void aZeroWaitIsAllowedAndMeansOneAttempt() {
        assertThat(read(Map.of("distributedmutex.wait", "0")).maxWait()).isZero();
    }

    @Test
    void badValuesNameTheKeyAndTheValue() {
        assertThatThrownBy(() -> read(Map.of("distributedmutex.wait", "abc")))
                .hasMessageContaining("distributedmutex.wait=abc");
        assertThatThrownBy(() -> read(Map.of("distributedmutex.lease", "0s")))
                .hasMessageContaining("distributedmutex.lease=0s").hasMessageContaining("longer than zero");
        assertThatThrownBy(() -> read(Map.of("distributedmutex.lease", "-1s")))
                .hasMessageContaining("distributedmutex.lease=-1s");
        assertThatThrownBy(() -> read(Map.of("distributedmutex.redis.address", "http://cache:6379")))
                .hasMessageContaining("distributedmutex.redis.address=http://cache:6379")
                .hasMessageContaining("redis://");
        assertThatThrownBy(() -> read(Map.of("distributedmutex.redis.config-file", "/does/not/exist.yaml")))
                .hasMessageContaining("distributedmutex.redis.config-file=/does/not/exist.yaml");
        assertThatThrownBy(() -> read(Map.of("distributedmutex.key-prefix", "a b")))
                .hasMessageContaining("distributedmutex.key-prefix");
    }

    @ParameterizedTest
    @ValueSource(strings = {"app{1}:", "app{", "}app:"})
    void aKeyPrefixWithABraceFailsNamingTheKeyAndTheValue(String prefix) {
        assertThatThrownBy(() -> read(Map.of("distributedmutex.key-prefix", prefix)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("distributedmutex.key-prefix=" + prefix)
                .hasMessageContaining("must not contain braces");
    }

    /** The rule holds for settings built in code too (the adapter's public constructors take them). */
    @ParameterizedTest
    @ValueSource(strings = {"{tenant}:", "app}"})
    void settingsBuiltInCodeRefuseAKeyPrefixWithABrace(String prefix) {
        assertThatThrownBy(() -> Settings.defaults().withKeyPrefix(prefix))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keyPrefix '" + prefix + "'")
                .hasMessageContaining("must not contain braces");
    }

    @Test
    void replicaAcksAreOffByDefaultWithATimeoutOfOneSecond() {
        ReplicaAcks acks = read(Map.of()).replicaAcks();
        assertThat(acks.isOff()).isTrue();
        assertThat(acks.timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(Settings.defaults().replicaAcks()).isEqualTo(ReplicaAcks.OFF);
        // the constructors that existed before the policy keep working, with the policy off
        assertThat(new Settings("redis://h:1", Optional.empty(), Duration.ZERO, Duration.ofSeconds(1), "p:",
                Duration.ofSeconds(2)).replicaAcks()).isEqualTo(ReplicaAcks.OFF);
        assertThat(new Settings("redis://h:1", Optional.empty(), Duration.ZERO, Duration.ofSeconds(1), "p:")
                .replicaAcks()).isEqualTo(ReplicaAcks.OFF);
    }

    @Test
    void replicaAcksTakeANumberOrAllAndATimeout() {
        Settings two = read(Map.of("distributedmutex.replica-acks", "2",
                "distributedmutex.replica-ack-timeout", "250ms"));
        assertThat(two.replicaAcks()).isEqualTo(new ReplicaAcks(2, Duration.ofMillis(250)));
        assertThat(two.toString()).contains("replicaAcks=2 within 250 ms");
        ReplicaAcks all = read(Map.of("distributedmutex.replica-acks", " ALL ")).replicaAcks();
        assertThat(all.isAll()).isTrue();
        assertThat(all.timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(read(Map.of("distributedmutex.replica-acks", "0")).replicaAcks().isOff()).isTrue();
        assertThat(read(Map.of("distributedmutex.replica-ack-timeout", "PT1M")).replicaAcks().timeout())
                .isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void fairnessIsHybridWithTenMillisecondsByDefault() {
        assertThat(read(Map.of()).fairness()).isEqualTo(new Fairness(Fairness.Mode.HYBRID, Duration.ofMillis(10)));
        assertThat(Settings.defaults().fairness()).isEqualTo(Fairness.DEFAULT);
        assertThat(read(Map.of()).toString()).contains("fairness=hybrid(10 ms)");
        assertThat(read(Map.of("distributedmutex.fairness", "fifo")).toString()).contains("fairness=fifo");
    }

    @Test
    void fairnessTakesAModeCaseInsensitivelyAndAThreshold() {
        assertThat(read(Map.of("distributedmutex.fairness", " FIFO ")).fairness().mode())
                .isEqualTo(Fairness.Mode.FIFO);
        assertThat(read(Map.of("distributedmutex.fairness", "barging")).fairness().queued()).isFalse();
        Fairness hybrid = read(Map.of("distributedmutex.fairness", "hybrid",
                "distributedmutex.fairness-threshold", "20ms")).fairness();
        assertThat(hybrid).isEqualTo(new Fairness(Fairness.Mode.HYBRID, Duration.ofMillis(20)));
        assertThat(hybrid.thresholdMicros()).isEqualTo(20_000);
        assertThat(read(Map.of("distributedmutex.fairness-threshold", "0")).fairness().thresholdMicros()).isZero();
        assertThat(read(Map.of("distributedmutex.fairness", "fifo", "distributedmutex.fairness-threshold", "1s"))
                .fairness().thresholdMicros()).as("fifo hands off at once, whatever the threshold").isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"fair", "strict", "1", "round-robin"})
    void aBadFairnessModeFailsNamingTheKeyTheValueAndTheModes(String value) {
        assertThatThrownBy(() -> read(Map.of("distributedmutex.fairness", value)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid configuration distributedmutex.fairness=" + value
                        + ": it must be one of barging, fifo, hybrid");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1ms", "61s", "2m", "soon"})
    void aFairnessThresholdOutsideZeroToOneMinuteFailsNamingTheKeyAndTheValue(String value) {
        assertThatThrownBy(() -> read(Map.of("distributedmutex.fairness-threshold", value)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Invalid configuration distributedmutex.fairness-threshold=" + value + ": ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "two", "1.5", "1001", "all-of-them"})
    void aBadReplicaCountFailsNamingTheKeyAndTheValue(String value) {
        assertThatThrownBy(() -> read(Map.of("distributedmutex.replica-acks", value)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Invalid configuration distributedmutex.replica-acks=" + value + ": ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0ms", "PT0.0005S", "61s", "2m"})
    void aReplicaAckTimeoutOutsideOneMillisecondToOneMinuteFailsNamingTheKeyAndTheValue(String value) {
        assertThatThrownBy(() -> read(Map.of("distributedmutex.replica-acks", "1",
                "distributedmutex.replica-ack-timeout", value)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Invalid configuration distributedmutex.replica-ack-timeout=" + value + ": ");
        assertThatThrownBy(() -> read(Map.of("distributedmutex.replica-ack-timeout", "0")))
                .as("checked even while the policy is off").hasMessageContaining("WAIT with 0 blocks forever");
        assertThatThrownBy(() -> read(Map.of("distributedmutex.replica-ack-timeout", "soon")))
                .hasMessageContaining("distributedmutex.replica-ack-timeout=soon");
    }

    /**
     * A grant counts only with at least a third of its lease left once its replicas acknowledged it, so a
     * {@code WAIT} that may block longer than a third of the lease is refused at startup, naming both settings.
     */
    @Test
    void aReplicaAckTimeoutLongerThanAThirdOfTheLeaseFailsAtStartupNamingBothSettings() {
        assertThat(read(Map.of("distributedmutex.replica-acks", "1", "distributedmutex.replica-ack-timeout", "20s"))
                .replicaAcks().timeoutMillis()).as("a third of the default 60 s lease").isEqualTo(20_000L);
        assertThat(read(Map.of("distributedmutex.replica-acks", "all", "distributedmutex.lease", "3s",
                "distributedmutex.replica-ack-timeout", "1s")).lease()).isEqualTo(Duration.ofSeconds(3));
        assertThatThrownBy(() -> read(Map.of("distributedmutex.replica-acks", "1",
                "distributedmutex.replica-ack-timeout", "21s")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("distributedmutex.replica-ack-timeout (21000 ms) must not be longer than a third"
                        + " of the lease (distributedmutex.lease 60000 ms)");
        assertThatThrownBy(() -> read(Map.of("distributedmutex.replica-acks", "1", "distributedmutex.lease", "3s",
                "distributedmutex.replica-ack-timeout", "1001ms")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("(1001 ms)").hasMessageContaining("distributedmutex.lease 3000 ms");
        assertThatThrownBy(() -> Settings.defaults().withLease(Duration.ofSeconds(2))
                .withReplicaAcks(new ReplicaAcks(1, Duration.ofSeconds(1))))
                .as("settings built in code are checked too").isInstanceOf(IllegalArgumentException.class);
        assertThat(read(Map.of("distributedmutex.lease", "1s", "distributedmutex.replica-ack-timeout", "1m"))
                .replicaAcks().isOff()).as("not checked while the policy is off").isTrue();
    }

    @Test
    void credentialsNeverAppearInMessages() {
        assertThatThrownBy(() -> read(Map.of("distributedmutex.redis.address", "tcp://admin:s3cret@cache:6379")))
                .hasMessageContaining("distributedmutex.redis.address=tcp://***@cache:6379")
                .hasMessageNotContaining("s3cret");
        Settings settings = read(Map.of("distributedmutex.redis.address", "redis://admin:s3cret@cache:6379"));
        assertThat(settings.toString()).doesNotContain("s3cret").contains("redis://***@cache:6379");
    }

    @Test
    void environmentNamesFollowMicroProfileMapping() {
        Map<String, String> env = Map.of("DISTRIBUTEDMUTEX_REDIS_ADDRESS", "redis://env:1", "distributedmutex_wait", "1s");
        assertThat(ConfigLookup.environmentValue(env::get, "distributedmutex.redis.address")).contains("redis://env:1");
        assertThat(ConfigLookup.environmentValue(env::get, "distributedmutex.wait")).contains("1s");
        assertThat(ConfigLookup.environmentValue(env::get, "distributedmutex.lease")).isEmpty();
    }

    @Test
    void systemPropertiesWinOverTheEnvironment() {
        String key = "distributedmutex.test-only." + System.nanoTime();
        ConfigLookup lookup = ConfigLookup.systemPropertiesThenEnvironment(
                Map.of(key.replace('.', '_').replace('-', '_').toUpperCase(java.util.Locale.ROOT), "from-env"));
        assertThat(lookup.get(key)).contains("from-env");
        System.setProperty(key, "from-property");
        try {
            assertThat(lookup.get(key)).contains("from-property");
        } finally {
            System.clearProperty(key);
        }
    }

    @Test
    void metricsAndReadinessSettings() {
        ObservabilitySettings defaults = SettingsReader.readObservability(key -> Optional.empty());
        assertThat(defaults).isEqualTo(new ObservabilitySettings(ObservabilitySettings.Metrics.AUTO, true,
                Duration.ofSeconds(2)));
        ObservabilitySettings read = SettingsReader.readObservability(key -> Optional.ofNullable(Map.of(
                "distributedmutex.metrics", "OpenTelemetry", "distributedmutex.health.readiness", "FALSE",
                "distributedmutex.health.timeout", "500ms").get(key)));
        assertThat(read).isEqualTo(new ObservabilitySettings(ObservabilitySettings.Metrics.OPENTELEMETRY, false,
                Duration.ofMillis(500)));
    }

    @Test
    void badMetricsAndReadinessValuesNameTheKeyAndTheValue() {
        assertThatThrownBy(() -> SettingsReader.readObservability(key -> Optional.ofNullable(
                Map.of("distributedmutex.metrics", "prometheus").get(key))))
                .hasMessageContaining("distributedmutex.metrics=prometheus").hasMessageContaining("auto, micrometer");
        assertThatThrownBy(() -> SettingsReader.readObservability(key -> Optional.ofNullable(
                Map.of("distributedmutex.health.readiness", "yes").get(key))))
                .hasMessageContaining("distributedmutex.health.readiness=yes").hasMessageContaining("true or false");
        assertThatThrownBy(() -> SettingsReader.readObservability(key -> Optional.ofNullable(
                Map.of("distributedmutex.health.timeout", "0s").get(key))))
                .hasMessageContaining("distributedmutex.health.timeout=0s").hasMessageContaining("positive");
    }
}
