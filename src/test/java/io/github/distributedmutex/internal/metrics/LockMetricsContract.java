package io.github.distributedmutex.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockInfo;
import io.github.distributedmutex.LockNotAcquiredException;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.redis.LockRecorder;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the adapter records, on a real Redis, written once and run against each metrics library
 * ({@code MicrometerMetricsTest}, {@code OpenTelemetryMetricsTest}): every instrument, its
 * attributes and its counts after locking, contention, an unreachable Redis, a lost lease and the
 * watchdog; and one series per kind of lock, never one per key. A subclass reads the values back
 * from its library's test registry or reader.
 */
abstract class LockMetricsContract {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    final TestAdapters adapters = TestAdapters.onSharedRedis();
    private final ExecutorService otherThread = Executors.newSingleThreadExecutor();

    /** @return a new recorder to a fresh registry or reader, which the read methods read */
    abstract LockRecorder newRecorder();

    /** @return how many acquisitions of {@code name} ended with {@code outcome} */
    abstract long acquisitions(String name, String outcome);

    /** @return the sum of the acquire durations of {@code name} with {@code outcome}, in seconds */
    abstract double acquireSeconds(String name, String outcome);

    /** @return how many holds of {@code name} whose release ended with {@code outcome} were recorded in the hold duration */
    abstract long holds(String name, String outcome);

    /** @return the held-locks gauge of {@code name} now */
    abstract long held(String name);

    /** @return the waiters gauge of {@code name} now */
    abstract long waiters(String name);

    /** @return the renewals of {@code name} with {@code outcome} */
    abstract long renewals(String name, String outcome);

    /** @return the leases of {@code name} found lost */
    abstract long lost(String name);

    /** @return every value of the name attribute on the acquire duration */
    abstract Set<String> acquireNames();

    /** @return whether the held and waiters gauges are registered (their callbacks read an adapter) */
    abstract boolean gaugesRegistered();

    @AfterEach
    void tearDown() throws Exception {
        otherThread.shutdownNow();
        adapters.close();
    }

    @Test
    void anAcquisitionAndItsReleaseAreRecordedUnderTheKeysKind() {
        Adapter adapter = adapters.newInstance(newRecorder());
        try (Lease lease = adapter.lock("job:1")) {
            assertThat(lease.isHeld()).isTrue();
            assertThat(held("job")).isEqualTo(1);
        }
        assertThat(acquisitions("job", "acquired")).isEqualTo(1);
        assertThat(acquireSeconds("job", "acquired")).isGreaterThan(0).isLessThan(TIMEOUT.toSeconds());
        await().atMost(TIMEOUT).until(() -> holds("job", "released") == 1);
        assertThat(held("job")).isZero();
        assertThat(acquisitions("job", "not_acquired")).isZero();
        assertThat(acquireNames()).containsExactly("job");
    }

    @Test
    void fiftyKeysOfOneKindAreOneSeries() {
        Adapter adapter = adapters.newInstance(newRecorder());
        for (int id = 1; id <= 50; id++) {
            adapter.lock("job:" + id).close();
            adapter.lock("invoice:" + id, LockOptions.defaults().withMetricName("invoices")).close();
            adapter.acquiref("tenant:%d:settings", id);
            adapter.releasef("tenant:%d:settings", id);
        }
        assertThat(acquireNames()).containsExactlyInAnyOrder("job", "invoices", "tenant:%d:settings");
        assertThat(acquisitions("job", "acquired")).isEqualTo(50);
        assertThat(acquisitions("invoices", "acquired")).isEqualTo(50);
        assertThat(acquisitions("tenant:%d:settings", "acquired")).isEqualTo(50);
        await().atMost(TIMEOUT).until(() -> holds("job", "released") == 50 && holds("invoices", "released") == 50);
    }

    @Test
    void aSetOfKeysCountsOnceAsOneCall() {
        Adapter adapter = adapters.newInstance(newRecorder());
        Adapter holder = adapters.newInstance();
        adapter.lockAll(List.of("account:1", "account:2", "account:3"), LockOptions.defaults()).close();
        assertThat(acquisitions("account", "acquired")).as("three keys, one call").isEqualTo(1);
        try (Lease held = holder.lock("account:3")) {
            assertThat(adapter.tryLockAll(List.of("account:1", "account:2", "account:3"), LockOptions.defaults()
                    .withMaxWait(Duration.ofMillis(100)))).isEmpty();
            assertThat(held.isHeld()).isTrue();
        }
        assertThat(acquisitions("account", "acquired")).as("the failed set's parts are not acquisitions").isEqualTo(1);
        assertThat(acquisitions("account", "not_acquired")).isEqualTo(1);
        await().atMost(TIMEOUT).until(() -> holds("account", "released") == 3);
    }

    @Test
    void aCancelledAsynchronousCallCountsAsNotAcquired() {
        Adapter holder = adapters.newInstance();
        Adapter adapter = adapters.newInstance(newRecorder());
        try (Lease held = holder.lock("sync:1")) {
            CompletableFuture<Lease> stage = adapter.lockAsync("sync:1", LockOptions.defaults().withMaxWait(TIMEOUT))
                    .toCompletableFuture();
            await().atMost(TIMEOUT).until(() -> adapter.inspect("sync:1").map(LockInfo::waiters).orElse(0) == 1);
            stage.cancel(false);
            await().atMost(TIMEOUT).until(() -> acquisitions("sync", "not_acquired") == 1);
            assertThat(held.isHeld()).isTrue();
        }
        assertThat(acquisitions("sync", "acquired")).isZero();
    }

    @Test
    void aKeyWithoutAColonIsNeverALabelValue() {
        Adapter adapter = adapters.newInstance(newRecorder());
        adapter.lock("alice@example.com").close();
        assertThat(acquireNames()).as("the key may be personal data").containsExactly("unnamed");
        assertThat(acquisitions("unnamed", "acquired")).isEqualTo(1);
    }

    @Test
    void givenNamesAreBoundedTooAndTheRestIsOther() {
        Adapter adapter = adapters.newInstance(newRecorder());
        try (LogCapture logs = LogCapture.start()) {
            for (int id = 1; id <= 110; id++) {
                adapter.lock("invoice:" + id, LockOptions.defaults().withMetricName("invoice-" + id)).close();
            }
            assertThat(logs.lines("WARN")).filteredOn(line -> line.contains("distinct lock names")).hasSize(1);
        }
        // MetricNames.MAX_NAMES: 100 names per adapter, then "other"
        assertThat(acquireNames()).hasSize(101).contains("other", "invoice-1", "invoice-100")
                .doesNotContain("invoice-101");
        assertThat(acquisitions("other", "acquired")).isEqualTo(10);
    }

    @Test
    void contentionIsRecordedAsNotAcquiredAndWaitersAreCounted() throws Exception {
        Adapter holder = adapters.newInstance();
        Adapter adapter = adapters.newInstance(newRecorder());
        Lease held = holder.lock("report:nightly");
        assertThat(adapter.tryLock("report:nightly", Duration.ZERO)).isEmpty();
        assertThatThrownBy(() -> adapter.lock("report:nightly", LockOptions.defaults().withMaxWait(Duration.ofMillis(200))))
                .isInstanceOf(LockNotAcquiredException.class);
        assertThat(acquisitions("report", "not_acquired")).isEqualTo(2);
        assertThat(acquireSeconds("report", "not_acquired")).isGreaterThanOrEqualTo(0.2);

        CompletableFuture<Long> waiting = CompletableFuture.supplyAsync(() -> {
            try (Lease lease = adapter.lock("report:nightly", LockOptions.defaults().withMaxWait(TIMEOUT))) {
                return lease.fencingToken();
            }
        }, otherThread);
        await().atMost(TIMEOUT).until(() -> waiters("report") == 1);
        held.close();
        assertThat(waiting).succeedsWithin(TIMEOUT);
        assertThat(waiters("report")).isZero();
        assertThat(acquisitions("report", "acquired")).isEqualTo(1);
    }

    @Test
    void anUnreachableRedisIsRecordedAsUnavailable() throws Exception {
        try (TestAdapters offline = TestAdapters.on("redis://127.0.0.1:" + RedisServerProcess.freePort())) {
            Adapter adapter = offline.newInstance(newRecorder());
            assertThatThrownBy(() -> adapter.tryLock("export:1", Duration.ZERO))
                    .isInstanceOf(LockUnavailableException.class);
        }
        assertThat(acquisitions("export", "unavailable")).isEqualTo(1);
        assertThat(acquisitions("export", "acquired") + acquisitions("export", "not_acquired")).isZero();
    }

    @Test
    void aLostLeaseIsCountedOnceWithItsFailedRenewal() {
        Adapter adapter = adapters.newInstance(newRecorder());
        Lease lease = adapter.lock("sync:7");
        assertThat(lease.extend(Duration.ofSeconds(30))).isTrue();
        assertThat(renewals("sync", "renewed")).isEqualTo(1);
        assertThat(RedisCommands.callForLong(adapters.settings().redisAddress(), "DEL", adapters.redisKey("sync:7")))
                .isEqualTo(1);
        assertThat(lease.extend(Duration.ofSeconds(30))).isFalse();
        lease.close();
        assertThat(renewals("sync", "lost")).isEqualTo(1);
        assertThat(lost("sync")).as("once per lease, though the release found it gone too").isEqualTo(1);
        assertThat(holds("sync", "lost")).as("the hold ended at the release, which found the lock gone").isEqualTo(1);
        assertThat(holds("sync", "released") + holds("sync", "failed")).isZero();
        assertThat(held("sync")).isZero();
    }

    @Test
    @SlowTest
    void aReleaseRedisDidNotAnswerEndsTheHoldAsFailed() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.start();
             TestAdapters own = TestAdapters.on(server.address())) {
            Adapter adapter = own.newInstance(newRecorder());
            Lease lease = adapter.lock("batch:1");
            server.kill();
            try (LogCapture logs = LogCapture.start()) {
                lease.close(); // waits for the release's failure (its timeout at the latest)
                assertThat(logs.lines("ERROR")).anyMatch(line -> line.contains("Could not release lock 'batch:1'"));
            }
        }
        await().atMost(TIMEOUT).until(() -> holds("batch", "failed") == 1);
        assertThat(holds("batch", "released") + holds("batch", "lost")).isZero();
    }

    @Test
    void closingTheAdapterUnregistersItsGauges() {
        var adapter = adapters.newInstance(newRecorder());
        adapter.lock("closing:1").close();
        assertThat(gaugesRegistered()).isTrue();
        adapter.close();
        assertThat(gaugesRegistered()).as("a closed adapter is no longer read").isFalse();
        assertThat(acquisitions("closing", "acquired")).as("what it recorded stays").isEqualTo(1);
    }

    @Test
    void watchdogRenewalsAreCounted() {
        Adapter adapter = adapters.newInstance(newRecorder());
        try (Lease lease = adapter.lock("watched:1", LockOptions.defaults().withLease(Duration.ofSeconds(3))
                .withWatchdog(true))) {
            // the watchdog renews every third of the lease
            await().atMost(TIMEOUT).until(() -> renewals("watched", "renewed") >= 2);
            assertThat(lease.isHeld()).isTrue();
        }
        assertThat(renewals("watched", "lost") + renewals("watched", "failed")).isZero();
        assertThat(lost("watched")).isZero();
    }
}
