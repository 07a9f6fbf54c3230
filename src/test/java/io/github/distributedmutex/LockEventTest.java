package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.LockEvent.NotAcquired.Reason;
import io.github.distributedmutex.internal.redis.LockListener;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the adapter reports to its lock event listener (the CDI producer's listener turns these into
 * {@code @ObservesAsync} events: {@code cdi/LockEventsCdiTest}): one event per change, after it,
 * outside the adapter's locks; {@code Lost} once per lease, whoever finds the loss; a failing
 * listener fails no lock call. The listener here records synchronously, so every assertion right
 * after a call is deterministic.
 */
class LockEventTest {

    private final TestAdapters adapters = TestAdapters.onSharedRedis();
    private final List<LockEvent> events = new CopyOnWriteArrayList<>();
    private final ExecutorService otherThread = Executors.newSingleThreadExecutor();

    @AfterEach
    void tearDown() throws Exception {
        otherThread.shutdownNow();
        adapters.close();
    }

    private RedisAdapter recorded() {
        return adapters.newInstance(events::add);
    }

    @Test
    void aLeaseReportsAcquiredThenReleased() {
        Adapter adapter = recorded();
        Lease lease = adapter.lock("job:1");
        String owner = adapter.inspect("job:1").orElseThrow().owner();
        assertThat(events).singleElement().isInstanceOfSatisfying(LockEvent.Acquired.class, acquired -> {
            assertThat(acquired.key()).isEqualTo("job:1");
            assertThat(acquired.owner()).isEqualTo(owner);
            assertThat(acquired.fencingToken()).isEqualTo(lease.fencingToken());
            assertThat(acquired.waited()).isGreaterThanOrEqualTo(Duration.ZERO).isLessThan(Duration.ofSeconds(30));
        });
        lease.close();
        assertThat(events).hasSize(2).last().isInstanceOfSatisfying(LockEvent.Released.class, released -> {
            assertThat(released.key()).isEqualTo("job:1");
            assertThat(released.owner()).isEqualTo(owner);
            assertThat(released.fencingToken()).isEqualTo(lease.fencingToken());
            assertThat(released.held()).isGreaterThanOrEqualTo(Duration.ZERO).isLessThan(Duration.ofSeconds(30));
        });
        lease.close();
        assertThat(events).as("closing again reports nothing").hasSize(2);
    }

    @Test
    void aReenteredThreadHoldReportsOneAcquisitionAndOneRelease() {
        Adapter adapter = recorded();
        adapter.acquire("nested");
        adapter.acquire("nested");
        adapter.release("nested");
        assertThat(events).extracting(Object::getClass).containsExactly(LockEvent.Acquired.class);
        adapter.release("nested");
        assertThat(events).extracting(Object::getClass)
                .containsExactly(LockEvent.Acquired.class, LockEvent.Released.class);
    }

    @Test
    void aReleaseBeforeTheMinimumHoldReportsReleased() {
        Adapter adapter = recorded();
        adapter.lock("tick", LockOptions.defaults().withHoldAtLeast(Duration.ofSeconds(5))).close();
        assertThat(events).extracting(Object::getClass)
                .containsExactly(LockEvent.Acquired.class, LockEvent.Released.class);
    }

    @Test
    void everyWayOfNotGettingTheLockReportsNotAcquired() throws Exception {
        Adapter adapter = recorded();
        Adapter holder = adapters.newInstance();
        try (Lease held = holder.lock("busy")) {
            assertThat(adapter.tryLock("busy", Duration.ZERO)).isEmpty();
            assertThat(adapter.tryAcquire("busy", LockOptions.defaults().withMaxWait(Duration.ofMillis(200)))).isFalse();
            assertThatThrownBy(() -> adapter.lock("busy", LockOptions.defaults().withMaxWait(Duration.ofMillis(200))))
                    .isInstanceOf(LockNotAcquiredException.class);
            CompletableFuture<Optional<Lease>> interrupted = CompletableFuture.supplyAsync(() -> {
                Thread.currentThread().interrupt();
                try {
                    return adapter.tryLock("busy", Duration.ofSeconds(30));
                } finally {
                    Thread.interrupted();
                }
            }, otherThread);
            assertThat(interrupted).failsWithin(Duration.ofSeconds(30));
        }
        assertThat(events).allSatisfy(event -> assertThat(event).isInstanceOf(LockEvent.NotAcquired.class))
                .extracting(event -> ((LockEvent.NotAcquired) event).reason())
                .containsExactly(Reason.CONTENDED, Reason.CONTENDED, Reason.CONTENDED, Reason.INTERRUPTED);
        LockEvent.NotAcquired waited = (LockEvent.NotAcquired) events.get(1);
        assertThat(waited.key()).isEqualTo("busy");
        assertThat(waited.waited()).isGreaterThanOrEqualTo(Duration.ofMillis(200)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void anUnreachableRedisReportsNotAcquiredUnavailable() throws Exception {
        try (TestAdapters offline = TestAdapters.on("redis://127.0.0.1:" + RedisServerProcess.freePort())) {
            Adapter adapter = offline.newInstance(events::add);
            assertThatThrownBy(() -> adapter.tryLock("nowhere", Duration.ZERO)).isInstanceOf(LockUnavailableException.class);
        }
        assertThat(events).singleElement().isInstanceOfSatisfying(LockEvent.NotAcquired.class,
                notAcquired -> assertThat(notAcquired.reason()).isEqualTo(Reason.UNAVAILABLE));
    }

    @Test
    void aLeaseDeletedBehindTheLibrarysBackIsReportedLostByTheWatchdog() {
        Adapter adapter = recorded();
        try (Lease lease = adapter.lock("watched", LockOptions.defaults().withLease(Duration.ofSeconds(3))
                .withWatchdog(true))) {
            deleteBehindTheLibrarysBack("watched");
            // the watchdog renews every third of the lease (1 s) and finds the lock gone
            await().atMost(Duration.ofSeconds(20)).until(() -> lost("watched").size() == 1);
            assertThat(lost("watched").get(0).fencingToken()).isEqualTo(lease.fencingToken());
            assertThat(lease.extend(Duration.ofSeconds(3))).isFalse();
        }
        assertThat(lost("watched")).as("reported once, though the release found it gone too").hasSize(1);
        assertThat(events).filteredOn(LockEvent.Released.class::isInstance).isEmpty();
    }

    @Test
    void aLeaseFoundGoneByExtendIsReportedLostOnce() {
        Adapter adapter = recorded();
        Lease lease = adapter.lock("extended");
        deleteBehindTheLibrarysBack("extended");
        assertThat(lease.extend(Duration.ofSeconds(10))).isFalse();
        assertThat(lost("extended")).singleElement().satisfies(lost -> {
            assertThat(lost.owner()).startsWith(adapters.settings().instanceName() + "#");
            assertThat(lost.held()).isGreaterThanOrEqualTo(Duration.ZERO);
        });
        assertThat(lease.isHeld()).isFalse();
        lease.close();
        assertThat(lost("extended")).hasSize(1);
        assertThat(events).filteredOn(LockEvent.Released.class::isInstance).isEmpty();
    }

    @Test
    void aLeaseFoundGoneByIsHeldIsReportedLost() {
        Adapter adapter = recorded();
        try (Lease lease = adapter.lock("checked")) {
            deleteBehindTheLibrarysBack("checked");
            assertThat(lease.isHeld()).isFalse();
            assertThat(lost("checked")).hasSize(1);
        }
        assertThat(lost("checked")).hasSize(1);
    }

    @Test
    void aLeaseFoundGoneByItsReleaseIsReportedLostNotReleased() {
        Adapter adapter = recorded();
        adapter.acquire("released-late");
        deleteBehindTheLibrarysBack("released-late");
        adapter.release("released-late");
        assertThat(lost("released-late")).hasSize(1);
        assertThat(events).filteredOn(LockEvent.Released.class::isInstance).isEmpty();
    }

    /**
     * The listener is called outside the lease's own locks: a listener that, on the calling
     * thread, waits for another thread to extend the same lease would deadlock if {@code extend}
     * reported the loss while holding its lock.
     */
    @Test
    void theListenerRunsOutsideTheLeasesLocks() throws Exception {
        List<Boolean> extendedFromOtherThread = new CopyOnWriteArrayList<>();
        Lease[] holder = new Lease[1];
        Adapter adapter = adapters.newInstance(event -> {
            if (event instanceof LockEvent.Lost) {
                try {
                    extendedFromOtherThread.add(CompletableFuture.supplyAsync(
                            () -> holder[0].extend(Duration.ofSeconds(1)), otherThread).get(10, TimeUnit.SECONDS));
                } catch (Exception e) {
                    throw new IllegalStateException("the other thread's extend did not finish: " + e, e);
                }
            }
        });
        holder[0] = adapter.lock("reentrant-listener");
        deleteBehindTheLibrarysBack("reentrant-listener");
        assertThat(holder[0].extend(Duration.ofSeconds(10))).isFalse();
        assertThat(extendedFromOtherThread).containsExactly(false);
        holder[0].close();
    }

    @Test
    void aFailingListenerFailsNoLockCall() {
        try (LogCapture logs = LogCapture.start()) {
            Adapter adapter = adapters.newInstance(event -> {
                throw new IllegalStateException("listener boom");
            });
            try (Lease lease = adapter.lock("unaffected")) {
                assertThat(lease.isHeld()).isTrue();
            }
            assertThat(adapter.inspect("unaffected")).isEmpty();
            assertThat(logs.lines("WARN")).anySatisfy(line -> assertThat(line).contains("listener boom")
                    .contains("Acquired"));
        }
    }

    @Test
    void onlyTheWantedTypesAreBuilt() {
        List<LockEvent> received = new CopyOnWriteArrayList<>();
        RedisAdapter adapter = adapters.newInstance(new LockListener() {
            @Override
            public void onEvent(LockEvent event) {
                received.add(event);
            }

            @Override
            public boolean wants(Class<? extends LockEvent> type) {
                return type == LockEvent.Lost.class;
            }
        });
        assertThat(adapter.reportedEvents()).containsExactly(LockEvent.Lost.class);
        adapter.lock("only-lost").close();
        Lease lease = adapter.lock("only-lost");
        deleteBehindTheLibrarysBack("only-lost");
        lease.close();
        assertThat(received).singleElement().isInstanceOf(LockEvent.Lost.class);
        assertThat(adapters.newInstance().reportedEvents()).as("without a listener").isEmpty();
        assertThat(recorded().reportedEvents()).hasSize(4);
    }

    private List<LockEvent.Lost> lost(String key) {
        return events.stream().filter(LockEvent.Lost.class::isInstance).map(LockEvent.Lost.class::cast)
                .filter(event -> event.key().equals(key)).toList();
    }

    private void deleteBehindTheLibrarysBack(String key) {
        assertThat(RedisCommands.callForLong(adapters.settings().redisAddress(), "DEL", adapters.redisKey(key)))
                .isEqualTo(1);
    }
}
