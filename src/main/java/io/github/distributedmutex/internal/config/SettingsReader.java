package io.github.distributedmutex.internal.config;

import io.github.distributedmutex.internal.key.LockKey;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads {@link Settings} from a {@link ConfigLookup}, failing on the first bad value with an
 * {@link IllegalArgumentException} that names the key and the value (credentials masked).
 */
public final class SettingsReader {

    /** Prefix of every configuration key. */
    public static final String PREFIX = "distributedmutex.";
    /** Redis address of the private client, {@code redis://} or {@code rediss://}. */
    public static final String REDIS_ADDRESS = PREFIX + "redis.address";
    /** A Redisson YAML configuration file; wins over the address. */
    public static final String REDIS_CONFIG_FILE = PREFIX + "redis.config-file";
    /** Default maximum wait. */
    public static final String WAIT = PREFIX + "wait";
    /** Default lease. */
    public static final String LEASE = PREFIX + "lease";
    /** Prefix of every Redis key the library writes. */
    public static final String KEY_PREFIX = PREFIX + "key-prefix";
    /** How long closing the adapter waits for holders that still run. */
    public static final String SHUTDOWN_GRACE = PREFIX + "shutdown-grace";
    /** The name of this application instance in owner ids. */
    public static final String INSTANCE_NAME = PREFIX + "instance-name";
    /** How many replicas must acknowledge a grant: a number, {@code all}, or {@code 0} for off. */
    public static final String REPLICA_ACKS = PREFIX + "replica-acks";
    /** How long a grant waits for the replicas' acknowledgements. */
    public static final String REPLICA_ACK_TIMEOUT = PREFIX + "replica-ack-timeout";
    /** How a contended lock passes between processes: barging, fifo or hybrid. */
    public static final String FAIRNESS = PREFIX + "fairness";
    /** For hybrid fairness: how long the longest waiter may be overtaken. */
    public static final String FAIRNESS_THRESHOLD = PREFIX + "fairness-threshold";
    /** Which metrics library to report to: auto, micrometer, opentelemetry or none. */
    public static final String METRICS = PREFIX + "metrics";
    /** Whether the readiness check checks Redis. */
    public static final String HEALTH_READINESS = PREFIX + "health.readiness";
    /** The longest the readiness check waits for Redis. */
    public static final String HEALTH_TIMEOUT = PREFIX + "health.timeout";

    private static final int MAX_PREFIX_LENGTH = 128;

    private SettingsReader() {
    }

    /**
     * @param lookup where values come from
     * @return the validated settings, defaults for everything not configured
     * @throws IllegalArgumentException naming the key and the value of the first bad value
     */
    public static Settings read(ConfigLookup lookup) {
        Settings defaults = Settings.defaults();
        String address = value(lookup, REDIS_ADDRESS).map(v -> checkAddress(v)).orElse(defaults.redisAddress());
        Optional<Path> configFile = value(lookup, REDIS_CONFIG_FILE).map(SettingsReader::checkConfigFile);
        Duration wait = value(lookup, WAIT).map(v -> duration(WAIT, v)).orElse(defaults.maxWait());
        Duration lease = value(lookup, LEASE).map(SettingsReader::lease).orElse(defaults.lease());
        String prefix = lookup.get(KEY_PREFIX).map(SettingsReader::checkPrefix).orElse(defaults.keyPrefix());
        Duration grace = value(lookup, SHUTDOWN_GRACE).map(v -> duration(SHUTDOWN_GRACE, v))
                .orElse(defaults.shutdownGrace());
        // set but blank is an error, not the default: a name that a deployment meant to give went missing
        String instanceName = lookup.get(INSTANCE_NAME).map(String::trim).map(SettingsReader::checkInstanceName)
                .orElse(defaults.instanceName());
        return new Settings(address, configFile, wait, lease, prefix, grace, instanceName, replicaAcks(lookup),
                fairness(lookup));
    }

    private static Fairness fairness(ConfigLookup lookup) {
        Fairness.Mode mode = value(lookup, FAIRNESS).map(v -> {
            try {
                return Fairness.mode(v);
            } catch (IllegalArgumentException e) {
                throw bad(FAIRNESS, v, e.getMessage());
            }
        }).orElse(Fairness.DEFAULT.mode());
        Optional<String> thresholdValue = value(lookup, FAIRNESS_THRESHOLD);
        Duration threshold = thresholdValue.map(v -> duration(FAIRNESS_THRESHOLD, v))
                .orElse(Fairness.DEFAULT_THRESHOLD);
        try {
            return new Fairness(mode, threshold);
        } catch (IllegalArgumentException e) {
            throw bad(FAIRNESS_THRESHOLD, thresholdValue.orElse(threshold.toString()), e.getMessage());
        }
    }

    private static ReplicaAcks replicaAcks(ConfigLookup lookup) {
        int replicas = value(lookup, REPLICA_ACKS).map(SettingsReader::replicaCount).orElse(0);
        Optional<String> timeoutValue = value(lookup, REPLICA_ACK_TIMEOUT);
        Duration timeout = timeoutValue.map(v -> duration(REPLICA_ACK_TIMEOUT, v)).orElse(ReplicaAcks.DEFAULT_TIMEOUT);
        try {
            return new ReplicaAcks(replicas, timeout);
        } catch (IllegalArgumentException e) {
            throw bad(REPLICA_ACK_TIMEOUT, timeoutValue.orElse(timeout.toString()), e.getMessage());
        }
    }

    private static int replicaCount(String value) {
        if (value.equalsIgnoreCase("all")) {
            return ReplicaAcks.ALL;
        }
        int count;
        try {
            count = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw bad(REPLICA_ACKS, value, "use a whole number of replicas (0 turns it off) or 'all'");
        }
        if (count < 0) {
            throw bad(REPLICA_ACKS, value, "it must not be negative (0 turns it off)");
        }
        if (count > ReplicaAcks.MAX_REPLICAS) {
            throw bad(REPLICA_ACKS, value, "it must be at most " + ReplicaAcks.MAX_REPLICAS);
        }
        return count;
    }

    /**
     * @param lookup where values come from
     * @return the validated metrics and readiness settings, defaults for everything not configured
     * @throws IllegalArgumentException naming the key and the value of the first bad value
     */
    public static ObservabilitySettings readObservability(ConfigLookup lookup) {
        ObservabilitySettings defaults = ObservabilitySettings.defaults();
        ObservabilitySettings.Metrics metrics = value(lookup, METRICS).map(SettingsReader::metrics)
                .orElse(defaults.metrics());
        boolean readiness = value(lookup, HEALTH_READINESS).map(v -> bool(HEALTH_READINESS, v))
                .orElse(defaults.readiness());
        Duration timeout = value(lookup, HEALTH_TIMEOUT).map(SettingsReader::readinessTimeout)
                .orElse(defaults.readinessTimeout());
        return new ObservabilitySettings(metrics, readiness, timeout);
    }

    private static ObservabilitySettings.Metrics metrics(String value) {
        for (ObservabilitySettings.Metrics metrics : ObservabilitySettings.Metrics.values()) {
            if (metrics.name().equalsIgnoreCase(value)) {
                return metrics;
            }
        }
        throw bad(METRICS, value, "it must be one of auto, micrometer, opentelemetry, none");
    }

    private static boolean bool(String key, String value) {
        if (value.equalsIgnoreCase("true")) {
            return true;
        }
        if (value.equalsIgnoreCase("false")) {
            return false;
        }
        throw bad(key, value, "it must be true or false");
    }

    private static Duration readinessTimeout(String value) {
        Duration parsed = duration(HEALTH_TIMEOUT, value);
        if (parsed.isZero() || parsed.isNegative()) {
            throw bad(HEALTH_TIMEOUT, value, "it must be positive");
        }
        return parsed;
    }

    private static Optional<String> value(ConfigLookup lookup, String key) {
        return lookup.get(key).map(String::trim).filter(v -> !v.isEmpty());
    }

    private static String checkAddress(String value) {
        String lower = value.toLowerCase(Locale.ROOT);
        if (!(lower.startsWith("redis://") || lower.startsWith("rediss://"))) {
            throw bad(REDIS_ADDRESS, CredentialMasking.maskUri(value),
                    "it must start with redis:// or rediss://, for example redis://127.0.0.1:6379");
        }
        return value;
    }

    private static Path checkConfigFile(String value) {
        Path path;
        try {
            path = Path.of(value);
        } catch (InvalidPathException e) {
            throw bad(REDIS_CONFIG_FILE, value, "it is not a valid path");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw bad(REDIS_CONFIG_FILE, value, "no readable file exists at that path");
        }
        return path;
    }

    private static Duration duration(String key, String value) {
        try {
            return DurationParser.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid configuration " + key + "=" + value + ": " + e.getMessage(), e);
        }
    }

    private static Duration lease(String value) {
        Duration parsed = duration(LEASE, value);
        try {
            return LeaseDuration.check("lease", parsed);
        } catch (IllegalArgumentException e) {
            throw bad(LEASE, value, e.getMessage());
        }
    }

    private static String checkPrefix(String value) {
        if (value.length() > MAX_PREFIX_LENGTH) {
            throw bad(KEY_PREFIX, value.substring(0, 32) + "...", "it is longer than " + MAX_PREFIX_LENGTH + " characters");
        }
        if (value.chars().anyMatch(c -> Character.isISOControl(c) || Character.isWhitespace(c))) {
            throw bad(KEY_PREFIX, value, "it contains whitespace or control characters");
        }
        try {
            LockKey.checkPrefix(value);
        } catch (IllegalArgumentException e) {
            throw bad(KEY_PREFIX, value, e.getMessage(), e);
        }
        return value;
    }

    private static String checkInstanceName(String value) {
        try {
            return InstanceName.check(value);
        } catch (IllegalArgumentException e) {
            String shown = value.length() > 64 ? value.substring(0, 64) + "..." : value;
            throw bad(INSTANCE_NAME, shown, e.getMessage(), e);
        }
    }

    private static IllegalArgumentException bad(String key, String shownValue, String why) {
        return bad(key, shownValue, why, null);
    }

    private static IllegalArgumentException bad(String key, String shownValue, String why, Throwable cause) {
        return new IllegalArgumentException("Invalid configuration " + key + "=" + shownValue + ": " + why, cause);
    }
}
