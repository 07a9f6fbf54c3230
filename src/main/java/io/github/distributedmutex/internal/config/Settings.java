package io.github.distributedmutex.internal.config;

import io.github.distributedmutex.internal.key.LockKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The validated configuration of the library.
 *
 * @param redisAddress    the Redis address for the private client ({@code distributedmutex.redis.address})
 * @param redisConfigFile a Redisson YAML file that wins over the address ({@code distributedmutex.redis.config-file})
 * @param maxWait         the default maximum wait ({@code distributedmutex.wait}), not negative
 * @param lease           the default lease ({@code distributedmutex.lease}), positive
 * @param keyPrefix       the prefix of every Redis key and channel ({@code distributedmutex.key-prefix})
 * @param shutdownGrace   how long closing the adapter waits for holders still running to release
 *                        ({@code distributedmutex.shutdown-grace}), not negative
 * @param instanceName    the name of this application instance, the start of every owner id
 *                        ({@code distributedmutex.instance-name}; rules in {@link InstanceName})
 * @param replicaAcks     how many replicas must acknowledge a grant, and within how long
 *                        ({@code distributedmutex.replica-acks}, {@code distributedmutex.replica-ack-timeout});
 *                        when on, its timeout is at most a third of the lease ({@link ReplicaAcks#checkFits})
 * @param fairness        how a contended lock passes between processes ({@code distributedmutex.fairness},
 *                        {@code distributedmutex.fairness-threshold})
 */
public record Settings(String redisAddress, Optional<Path> redisConfigFile, Duration maxWait, Duration lease,
                       String keyPrefix, Duration shutdownGrace, String instanceName, ReplicaAcks replicaAcks,
                       Fairness fairness) {

    /** Default of {@code distributedmutex.redis.address}. */
    public static final String DEFAULT_ADDRESS = "redis://127.0.0.1:6379";
    /** Default of {@code distributedmutex.wait}: the Go package's 20 retries of 250 ms. */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(5);
    /** Default of {@code distributedmutex.lease}. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(60);
    /** Default of {@code distributedmutex.key-prefix}. */
    public static final String DEFAULT_KEY_PREFIX = "distributedmutex:";
    /** Default of {@code distributedmutex.shutdown-grace}. */
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(5);

    /** Checks the invariants every component relies on. */
    public Settings {
        Objects.requireNonNull(redisAddress, "redisAddress");
        Objects.requireNonNull(redisConfigFile, "redisConfigFile");
        Objects.requireNonNull(maxWait, "maxWait");
        Objects.requireNonNull(lease, "lease");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        Objects.requireNonNull(replicaAcks, "replicaAcks");
        Objects.requireNonNull(fairness, "fairness");
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must not be negative: " + maxWait);
        }
        LeaseDuration.check("lease", lease);
        try {
            LockKey.checkPrefix(keyPrefix);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("keyPrefix '" + keyPrefix + "' is not valid: " + e.getMessage(), e);
        }
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdownGrace must not be negative: " + shutdownGrace);
        }
        try {
            InstanceName.check(instanceName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("instanceName '" + instanceName + "' is not valid: " + e.getMessage(), e);
        }
        replicaAcks.checkFits(lease, SettingsReader.LEASE);
    }

    /** Settings with the default fairness. */
    public Settings(String redisAddress, Optional<Path> redisConfigFile, Duration maxWait, Duration lease,
                    String keyPrefix, Duration shutdownGrace, String instanceName, ReplicaAcks replicaAcks) {
        this(redisAddress, redisConfigFile, maxWait, lease, keyPrefix, shutdownGrace, instanceName, replicaAcks,
                Fairness.DEFAULT);
    }

    /** Settings whose grants are not waited for by replicas. */
    public Settings(String redisAddress, Optional<Path> redisConfigFile, Duration maxWait, Duration lease,
                    String keyPrefix, Duration shutdownGrace, String instanceName) {
        this(redisAddress, redisConfigFile, maxWait, lease, keyPrefix, shutdownGrace, instanceName, ReplicaAcks.OFF);
    }

    /** Settings with the default instance name, whose grants are not waited for by replicas. */
    public Settings(String redisAddress, Optional<Path> redisConfigFile, Duration maxWait, Duration lease,
                    String keyPrefix, Duration shutdownGrace) {
        this(redisAddress, redisConfigFile, maxWait, lease, keyPrefix, shutdownGrace, InstanceName.defaultName());
    }

    /** Settings with the default shutdown grace and instance name, whose grants are not waited for by replicas. */
    public Settings(String redisAddress, Optional<Path> redisConfigFile, Duration maxWait, Duration lease,
                    String keyPrefix) {
        this(redisAddress, redisConfigFile, maxWait, lease, keyPrefix, DEFAULT_SHUTDOWN_GRACE);
    }

    /** @return the settings used when nothing is configured */
    public static Settings defaults() {
        return new Settings(DEFAULT_ADDRESS, Optional.empty(), DEFAULT_WAIT, DEFAULT_LEASE, DEFAULT_KEY_PREFIX,
                DEFAULT_SHUTDOWN_GRACE, InstanceName.defaultName());
    }

    /** @return a copy with another key prefix */
    public Settings withKeyPrefix(String prefix) {
        return new Settings(redisAddress, redisConfigFile, maxWait, lease, prefix, shutdownGrace, instanceName,
                replicaAcks, fairness);
    }

    /** @return a copy with another default wait */
    public Settings withMaxWait(Duration wait) {
        return new Settings(redisAddress, redisConfigFile, wait, lease, keyPrefix, shutdownGrace, instanceName,
                replicaAcks, fairness);
    }

    /** @return a copy with another default lease */
    public Settings withLease(Duration newLease) {
        return new Settings(redisAddress, redisConfigFile, maxWait, newLease, keyPrefix, shutdownGrace, instanceName,
                replicaAcks, fairness);
    }

    /** @return a copy with another Redis address */
    public Settings withRedisAddress(String address) {
        return new Settings(address, redisConfigFile, maxWait, lease, keyPrefix, shutdownGrace, instanceName,
                replicaAcks, fairness);
    }

    /** @return a copy with another shutdown grace */
    public Settings withShutdownGrace(Duration grace) {
        return new Settings(redisAddress, redisConfigFile, maxWait, lease, keyPrefix, grace, instanceName,
                replicaAcks, fairness);
    }

    /** @return a copy with another instance name */
    public Settings withInstanceName(String name) {
        return new Settings(redisAddress, redisConfigFile, maxWait, lease, keyPrefix, shutdownGrace, name,
                replicaAcks, fairness);
    }

    /** @return a copy with another replica acknowledgement policy */
    public Settings withReplicaAcks(ReplicaAcks acks) {
        return new Settings(redisAddress, redisConfigFile, maxWait, lease, keyPrefix, shutdownGrace, instanceName,
                acks, fairness);
    }

    /** @return a copy with another fairness */
    public Settings withFairness(Fairness newFairness) {
        return new Settings(redisAddress, redisConfigFile, maxWait, lease, keyPrefix, shutdownGrace, instanceName,
                replicaAcks, newFairness);
    }

    @Override
    public String toString() {
        return "Settings[redisAddress=" + CredentialMasking.maskUri(redisAddress) + ", redisConfigFile="
                + redisConfigFile.map(Path::toString).orElse("none") + ", maxWait=" + maxWait + ", lease=" + lease
                + ", keyPrefix='" + keyPrefix + "', shutdownGrace=" + shutdownGrace + ", instanceName='" + instanceName
                + "', replicaAcks=" + replicaAcks + ", fairness=" + fairness + "]";
    }
}
