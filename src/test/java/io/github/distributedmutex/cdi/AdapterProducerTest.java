package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.Locked;
import io.github.distributedmutex.testing.CdiContainers;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.PrefixingNameMapper;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.testing.TestRedis;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * The producer of the {@link Adapter}: the application's own {@code RedissonClient} is used and
 * left alone; otherwise a private client that is not a bean; bad configuration fails the startup;
 * Redis being down does not, and locking recovers when it comes back; credentials never leak.
 */
class AdapterProducerTest {

    /** An address where no Redis answers: port 1 is privileged and unused. */
    private static final String DEAD_ADDRESS = "redis://127.0.0.1:1";

    @Test
    void theApplicationsRedissonClientIsUsedAndNotShutDown() {
        ApplicationClient.reset();
        try (CdiContainers cdi = CdiContainers.builder().beans(ApplicationClient.class, Jobs.class)
                .redisAddress(DEAD_ADDRESS).start()) {
            // the library's own client would point at the dead address: locks work only through the application's
            Adapter adapter = cdi.select(Adapter.class);
            String key = "app-client:" + unique();
            try (Lease lease = adapter.lock(key)) {
                assertThat(lease.isHeld()).isTrue();
                assertThat(RedisCommands.callForLong(TestRedis.address(), "EXISTS", cdi.redisKey(key))).isEqualTo(1);
            }
            AtomicInteger ran = new AtomicInteger();
            cdi.select(Jobs.class).run(unique(), ran::incrementAndGet);
            assertThat(ran).hasValue(1);
            assertThat(cdi.instance(RedissonClient.class).isResolvable()).isTrue();
            assertThat(ApplicationClient.created).hasSize(1);
        }
        RedissonClient client = ApplicationClient.created.get(0);
        try {
            assertThat(client.isShutdown()).as("the application's client after the container closed").isFalse();
            assertThat(client.isShuttingDown()).isFalse();
            assertThat(client.getBucket("app-client-still-works:" + unique()).isExists()).isFalse();
        } finally {
            client.shutdown();
        }
    }

    /**
     * A client whose {@code NameMapper} renames keys would rename the lock keys but not the release
     * channel the scripts publish on (waiters would never be woken): the startup fails, naming it.
     */
    @Test
    void anApplicationClientWithANameMapperFailsTheStartup() {
        MappedApplicationClient.reset();
        Throwable failure = catchThrowable(() -> {
            try (CdiContainers ignored = CdiContainers.builder().beans(MappedApplicationClient.class, Jobs.class)
                    .start()) {
                // must not get here
            }
        });
        try {
            assertThat(failure).as("the container must not start with a key-renaming client").isNotNull();
            assertThat(Failures.messages(failure)).contains("NameMapper").contains(PrefixingNameMapper.class.getName())
                    .contains("distributedmutex.key-prefix");
        } finally {
            MappedApplicationClient.created.forEach(RedissonClient::shutdown);
        }
    }

    @Test
    void withoutAnApplicationClientThePrivateClientWorksAndIsNotABean() {
        try (CdiContainers cdi = CdiContainers.start(Jobs.class)) {
            assertThat(cdi.instance(RedissonClient.class).isUnsatisfied()).isTrue();
            String key = "private-client:" + unique();
            try (Lease lease = cdi.select(Adapter.class).lock(key)) {
                assertThat(lease.isHeld()).isTrue();
                assertThat(cdi.redisKeyExists(key)).isTrue();
            }
            AtomicInteger ran = new AtomicInteger();
            cdi.select(Jobs.class).run(unique(), ran::incrementAndGet);
            assertThat(ran).hasValue(1);
            assertThat(cdi.redisKeys()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
            "distributedmutex.wait, abc",
            "distributedmutex.wait, -5s",
            "distributedmutex.lease, 0s",
            "distributedmutex.lease, 10",
            "distributedmutex.redis.address, http://x",
            "distributedmutex.redis.config-file, /nonexistent/redisson.yaml",
    })
    void aBadConfigurationValueFailsTheStartupNamingTheKeyAndTheValue(String key, String value) {
        Throwable failure = catchThrowable(() -> {
            try (CdiContainers ignored = CdiContainers.builder().beans(Jobs.class).property(key, value).start()) {
                // must not get here
            }
        });
        assertThat(failure).as("the container must not start with %s=%s", key, value).isNotNull();
        assertThat(Failures.messages(failure)).contains(key + "=" + value);
        assertThat(System.getProperty(key)).as("the fixture cleared the property").isNull();
    }

    /**
     * With replica acknowledgements on, a {@code lease} on the annotation shorter than three times their timeout
     * could never be kept (every call would fail with {@link IllegalArgumentException}): the startup fails instead,
     * naming the method and both values.
     */
    @Test
    void anAnnotationLeaseTheReplicaAckTimeoutDoesNotFitFailsTheStartupNamingTheMethod() {
        Throwable failure = catchThrowable(() -> {
            try (CdiContainers ignored = CdiContainers.builder().beans(ShortLeaseJobs.class)
                    .property("distributedmutex.replica-acks", "1")
                    .property("distributedmutex.replica-ack-timeout", "1s").start()) {
                // must not get here
            }
        });
        assertThat(failure).as("the container must not start").isNotNull();
        assertThat(Failures.messages(failure)).contains("ShortLeaseJobs#run()")
                .contains("distributedmutex.replica-ack-timeout (1000 ms)").contains("lease 2000 ms");
    }

    @SlowTest
    @Test
    void theStartupSucceedsWithRedisDownAndLockingRecoversWhenItComesBack() {
        int port = RedisServerProcess.freePort();
        try (CdiContainers cdi = CdiContainers.builder().beans(Jobs.class)
                .redisAddress("redis://127.0.0.1:" + port).property("distributedmutex.wait", "1s").start()) {
            Adapter adapter = cdi.select(Adapter.class);
            String key = "outage:" + unique();

            long start = System.nanoTime();
            assertThatThrownBy(() -> adapter.lock(key)).isInstanceOf(LockUnavailableException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));

            AtomicInteger ran = new AtomicInteger();
            start = System.nanoTime();
            assertThatThrownBy(() -> cdi.select(Jobs.class).run(unique(), ran::incrementAndGet))
                    .isInstanceOf(LockUnavailableException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
            assertThat(ran).as("the @Locked body must not run without the lock").hasValue(0);

            try (RedisServerProcess redis = RedisServerProcess.startOnPort(port)) {
                Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                        .ignoreException(LockUnavailableException.class)
                        .until(() -> {
                            Optional<Lease> lease = adapter.tryLock(key, Duration.ofSeconds(1));
                            lease.ifPresent(Lease::close);
                            return lease.isPresent();
                        });
                cdi.select(Jobs.class).run(unique(), ran::incrementAndGet);
                assertThat(ran).hasValue(1);
                assertThat(RedisCommands.callForList(redis.address(), "KEYS", cdi.keyPrefix() + "*")).isEmpty();
            }
        }
    }

    @SlowTest
    @Test
    void credentialsNeverAppearInLogsOrExceptions() {
        String secret = "s3cret";
        List<Throwable> failures = new ArrayList<>();
        try (LogCapture logs = LogCapture.start();
             RedisServerProcess redis = RedisServerProcess.start("--user", "alice", "on", ">" + secret, "~*", "&*",
                     "+@all")) {
            String host = "127.0.0.1:" + redis.port();

            // 1. right credentials: works
            try (CdiContainers cdi = CdiContainers.builder().beans(Jobs.class)
                    .redisAddress("redis://alice:" + secret + "@" + host).property("distributedmutex.wait", "1s")
                    .start()) {
                try (Lease lease = cdi.select(Adapter.class).lock("creds:" + unique())) {
                    assertThat(lease.isHeld()).isTrue();
                }
            }

            // 2. a user the server does not know: authentication fails
            try (CdiContainers cdi = CdiContainers.builder().beans(Jobs.class)
                    .redisAddress("redis://mallory:" + secret + "@" + host).property("distributedmutex.wait", "1s")
                    .start()) {
                failures.add(catchThrowable(() -> cdi.select(Adapter.class).lock("creds:" + unique())));
                failures.add(catchThrowable(() -> cdi.select(Jobs.class).run(unique(), () -> { })));
            }

            // 3. nothing listens
            try (CdiContainers cdi = CdiContainers.builder().beans(Jobs.class)
                    .redisAddress("redis://alice:" + secret + "@127.0.0.1:" + RedisServerProcess.freePort())
                    .property("distributedmutex.wait", "1s").start()) {
                failures.add(catchThrowable(() -> cdi.select(Adapter.class).lock("creds:" + unique())));
            }

            // 4. a bad address carrying credentials fails the startup
            failures.add(catchThrowable(() -> CdiContainers.builder().beans(Jobs.class)
                    .redisAddress("http://alice:" + secret + "@" + host).start().close()));

            assertThat(failures).hasSize(4).doesNotContainNull();
            assertThat(failures.subList(0, 3)).allSatisfy(
                    failure -> assertThat(failure).isInstanceOf(LockUnavailableException.class));
            for (Throwable failure : failures) {
                assertThat(Failures.stackTrace(failure)).doesNotContain(secret);
                assertThat(Failures.messages(failure)).doesNotContain(secret);
            }
            assertThat(logs.lines()).as("captured log lines").isNotEmpty()
                    .noneMatch(line -> line.contains(secret));
        }
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    // ---- the beans ---------------------------------------------------------------------------------

    /** A client on the test Redis, remembered in {@code created} so the test can check it and shut it down. */
    private static RedissonClient remembered(List<RedissonClient> created, Config config) {
        config.useSingleServer().setAddress(TestRedis.address());
        RedissonClient client = Redisson.create(config);
        synchronized (created) {
            created.add(client);
        }
        return client;
    }

    /** The application's own Redisson client, produced without a disposer: the application owns it. */
    @ApplicationScoped
    public static class ApplicationClient {
        static final List<RedissonClient> created = new ArrayList<>();

        static synchronized void reset() {
            created.clear();
        }

        @Produces
        @ApplicationScoped
        public RedissonClient client() {
            return remembered(created, new Config());
        }
    }

    /** An application client that renames every key. */
    @ApplicationScoped
    public static class MappedApplicationClient {
        static final List<RedissonClient> created = new ArrayList<>();

        static synchronized void reset() {
            created.clear();
        }

        @Produces
        @ApplicationScoped
        public RedissonClient client() {
            return remembered(created, new Config().setNameMapper(new PrefixingNameMapper()));
        }
    }

    @ApplicationScoped
    public static class Jobs {
        @Locked(value = "job:{0}", maxWait = "1s")
        public void run(String id, Runnable body) {
            body.run();
        }
    }

    @ApplicationScoped
    public static class ShortLeaseJobs {
        @Locked(value = "short", lease = "2s")
        public void run() {
        }
    }
}
