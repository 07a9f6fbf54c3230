package io.github.distributedmutex.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.key.LockKey;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.SlowTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.redisson.Redisson;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;

/**
 * The library over TLS, configured exactly like production: a Redisson YAML file
 * ({@code distributedmutex.redis.config-file}) with a {@code rediss://} address and a PKCS12 trust
 * store, read by {@link RedissonClientFactory#connect(Settings)}. The test makes its own
 * certificate authority and server certificate with {@code openssl}, and a second, unrelated
 * authority for the negative case.
 *
 * <p>The server also keeps its plain port (the {@link RedisServerProcess} fixture needs it to probe
 * readiness); the test uses it only to inspect Redis, never for the adapters.
 */
@SlowTest
class TlsTest {

    private static final String TRUSTSTORE_PASSWORD = "Tru5tst0re-" + UUID.randomUUID().toString().substring(0, 8);

    @TempDir
    static Path dir;

    private static TlsCertificates serverPki;
    private static TlsCertificates unrelatedPki;
    private static RedisServerProcess server;
    private static int tlsPort;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    @BeforeAll
    static void startTlsRedis() {
        serverPki = TlsCertificates.create(dir, "server-ca", TRUSTSTORE_PASSWORD);
        unrelatedPki = TlsCertificates.create(dir, "unrelated-ca", TRUSTSTORE_PASSWORD);
        tlsPort = RedisServerProcess.freePort();
        server = RedisServerProcess.start("--tls-port", Integer.toString(tlsPort),
                "--tls-cert-file", serverPki.serverCert().toString(),
                "--tls-key-file", serverPki.serverKey().toString(),
                "--tls-ca-cert-file", serverPki.caCert().toString(),
                "--tls-auth-clients", "no");
    }

    @AfterAll
    static void stopRedis() {
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void closeResources() throws Exception {
        pool.shutdownNow();
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void twoInstancesExcludeEachOtherAndWakeEachOtherOverTls() throws Exception {
        Path yaml = writeConfig("good.yaml", serverPki.truststore());
        Settings settings = settings(yaml);
        String channel = LockKey.releaseChannel(settings.keyPrefix());
        String redisKey = settings.keyPrefix() + "{job}";

        try (LogCapture logs = LogCapture.start()) {
            RedisAdapter first = instance(settings);
            RedisAdapter second = instance(settings);

            // a third client from the same file listens on the release channel: proves PUBLISH reaches TLS subscribers
            RedissonClient listener = Redisson.create(Config.fromYAML(yaml.toFile()));
            resources.add(listener::shutdown);
            BlockingQueue<String> released = new LinkedBlockingQueue<>();
            RTopic topic = listener.getTopic(channel, StringCodec.INSTANCE);
            topic.addListener(String.class, (ch, message) -> released.add(message));

            // contended wait woken by a release
            Lease held = first.lock("job");
            CompletableFuture<Lease> waiting = CompletableFuture.supplyAsync(
                    () -> second.lock("job", LockOptions.defaults().withMaxWait(Duration.ofSeconds(30))), pool);
            await().atMost(Duration.ofSeconds(15))
                    .until(() -> "1".equals(RedisCommands.call(server.address(), "HGET", redisKey, "waiters")));
            assertThat(waiting).isNotDone();
            long firstToken = held.fencingToken();
            held.close();
            Lease next = waiting.get(15, TimeUnit.SECONDS);
            assertThat(next.fencingToken()).isGreaterThan(firstToken);
            // fair hand-off (the default) names the waiter it handed the lock to: "<redis key>\n<owner>"
            assertThat(released.poll(15, TimeUnit.SECONDS)).startsWith(redisKey + "\n");
            next.close();
            // both adapters and the listener are subscribed, all over TLS (the plain port only inspects)
            await().atMost(Duration.ofSeconds(15)).until(() -> subscribers(channel) >= 3);

            // mutual exclusion under contention: 2 instances x 2 threads
            assertMutualExclusion(List.of(first, second), settings.keyPrefix() + "counter");

            assertThat(logs.lines()).noneMatch(line -> line.contains(TRUSTSTORE_PASSWORD));
        }
    }

    @Test
    void aTrustStoreWithTheWrongAuthorityFailsLockCallsBoundedAndNamesTheProblem() throws Exception {
        Settings settings = settings(writeConfig("wrong-ca.yaml", unrelatedPki.truststore()));
        try (LogCapture logs = LogCapture.start()) {
            RedisAdapter adapter = instance(settings);
            String thrown = ConnectionFailureCheck.failsBoundedThenNamesTheCause(adapter,
                    Pattern.compile("SSL|PKIX|certificat"));
            // Redisson's ErrorsLoggingHandler logs the failed handshake too
            await().atMost(Duration.ofSeconds(20)).until(() -> logs.lines().stream()
                    .anyMatch(line -> line.contains("SSLHandshakeException") && line.contains("PKIX")));
            String everything = String.join("\n", logs.lines()) + "\n" + thrown;
            assertThat(everything).doesNotContain(TRUSTSTORE_PASSWORD);
        }
    }

    private void assertMutualExclusion(List<Adapter> instances, String counterKey) throws Exception {
        int threadsPerInstance = 2;
        int rounds = 10;
        int threads = instances.size() * threadsPerInstance;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Adapter adapter = instances.get(t % instances.size());
            workers.add(pool.submit(() -> {
                start.await();
                for (int round = 0; round < rounds; round++) {
                    try (Lease lease = adapter.lock("shared", LockOptions.defaults().withMaxWait(Duration.ofSeconds(60)))) {
                        maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        String value = RedisCommands.call(server.address(), "GET", counterKey);
                        long nextValue = (value == null ? 0 : Long.parseLong(value)) + 1;
                        RedisCommands.call(server.address(), "SET", counterKey, Long.toString(nextValue));
                        inside.decrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get(2, TimeUnit.MINUTES);
        }
        assertThat(maxInside.get()).as("most holders inside at once").isEqualTo(1);
        assertThat(RedisCommands.call(server.address(), "GET", counterKey)).isEqualTo(Integer.toString(threads * rounds));
    }

    private long subscribers(String channel) {
        List<String> reply = RedisCommands.callForList(server.address(), "PUBSUB", "NUMSUB", channel);
        return Long.parseLong(reply.get(1));
    }

    private RedisAdapter instance(Settings settings) {
        RedisAdapter adapter = new RedisAdapter(RedissonClientFactory.connect(settings), settings);
        resources.add(adapter);
        return adapter;
    }

    private static Settings settings(Path yaml) {
        return new Settings(Settings.DEFAULT_ADDRESS, Optional.of(yaml), Settings.DEFAULT_WAIT, Settings.DEFAULT_LEASE,
                "tls-" + UUID.randomUUID().toString().substring(0, 8) + ":");
    }

    private static Path writeConfig(String name, Path truststore) throws IOException {
        Path file = dir.resolve(name);
        // Redisson 4.x reads the TLS settings at the top level (inside singleServerConfig they are deprecated)
        Files.writeString(file, "sslTruststore: \"" + truststore.toUri() + "\"\n"
                + "sslTruststorePassword: \"" + TRUSTSTORE_PASSWORD + "\"\n"
                + "singleServerConfig:\n"
                + "  address: \"rediss://127.0.0.1:" + tlsPort + "\"\n", StandardCharsets.UTF_8);
        return file;
    }
}
