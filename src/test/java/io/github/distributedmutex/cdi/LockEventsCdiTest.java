package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockEvent;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.Locked;
import io.github.distributedmutex.internal.cdi.AdapterProducer;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.CdiContainers;
import io.github.distributedmutex.testing.CdiTest;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CDI-produced adapter fires {@link LockEvent}s to {@code @ObservesAsync} observers, for
 * {@code Adapter} calls and {@code @Locked} methods alike; an observer that blocks or throws never
 * delays or fails a lock call; types without asynchronous observers are not even built.
 */
@CdiTest({LockEventsCdiTest.Recorder.class, LockEventsCdiTest.BlockingObserver.class,
        LockEventsCdiTest.ThrowingObserver.class, LockEventsCdiTest.Jobs.class})
class LockEventsCdiTest {

    private static final long TIMEOUT_SECONDS = 30;

    /** The test's own threads: the container may run async observers on the common pool, which a blocked one occupies. */
    private static final ExecutorService TEST_THREADS = Executors.newCachedThreadPool();

    private static CdiContainers cdi;
    private static Adapter adapter;
    private static Recorder recorder;

    @BeforeAll
    static void select(CdiContainers started) {
        cdi = started;
        adapter = cdi.select(Adapter.class);
        recorder = cdi.select(Recorder.class);
        // the library's client connects in the background: on a busy machine the first call may find it not ready yet
        await().atMost(Duration.ofSeconds(60)).ignoreException(LockUnavailableException.class)
                .until(() -> adapter.inspect("warm-up").isEmpty());
    }

    @AfterAll
    static void stopThreads() {
        TEST_THREADS.shutdownNow();
    }

    @Test
    void adapterCallsReachAsyncObservers() {
        String key = unique("plain");
        long token;
        try (Lease lease = adapter.lock(key)) {
            token = lease.fencingToken();
        }
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> recorder.of(key).size() == 2);
        assertThat(recorder.of(key)).extracting(Object::getClass)
                .containsExactlyInAnyOrder(LockEvent.Acquired.class, LockEvent.Released.class);
        assertThat(recorder.of(key)).allSatisfy(event -> assertThat(event).isInstanceOfAny(LockEvent.Acquired.class,
                LockEvent.Released.class));
        LockEvent.Acquired acquired = recorder.of(key).stream().filter(LockEvent.Acquired.class::isInstance)
                .map(LockEvent.Acquired.class::cast).findFirst().orElseThrow();
        assertThat(acquired.fencingToken()).isEqualTo(token);
        assertThat(acquired.owner()).contains("#");
    }

    @Test
    void lockedMethodsFireEventsTooAndASkippedOneFiresNotAcquired() throws Exception {
        Jobs jobs = cdi.select(Jobs.class);
        String id = UUID.randomUUID().toString().substring(0, 8);
        jobs.run(id, () -> { });
        try (Lease busy = CompletableFuture.supplyAsync(() -> adapter.lock("job:" + id), TEST_THREADS)
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            AtomicInteger ran = new AtomicInteger();
            assertThat(jobs.skipIfBusy(id, ran::incrementAndGet)).isEmpty();
            assertThat(ran).hasValue(0);
        }
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> recorder.of("job:" + id).size() == 5);
        assertThat(recorder.of("job:" + id)).extracting(Object::getClass).containsExactlyInAnyOrder(
                LockEvent.Acquired.class, LockEvent.Released.class, // run
                LockEvent.Acquired.class, LockEvent.Released.class, // the busy lease
                LockEvent.NotAcquired.class);                       // skipIfBusy
    }

    @Test
    void aLeaseDeletedBehindTheLibrarysBackFiresLost() {
        String key = unique("lost");
        Lease lease = adapter.lock(key);
        assertThat(RedisCommands.callForLong(cdi.redisAddress(), "DEL", cdi.redisKey(key))).isEqualTo(1);
        assertThat(lease.extend(Duration.ofSeconds(5))).isFalse();
        lease.close();
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
                .until(() -> recorder.of(key).stream().anyMatch(LockEvent.Lost.class::isInstance));
        assertThat(recorder.of(key)).filteredOn(LockEvent.Lost.class::isInstance).singleElement()
                .satisfies(lost -> assertThat(((LockEvent.Lost) lost).fencingToken()).isEqualTo(lease.fencingToken()));
    }

    /**
     * An observer that blocks until the test lets it go: lock calls keep returning while it is
     * blocked (each bounded), and its events and later ones are still delivered once it is freed.
     */
    @Test
    void aBlockingObserverDelaysNoLockCall() throws Exception {
        BlockingObserver blocker = cdi.select(BlockingObserver.class);
        String key = unique("block");
        try {
            CompletableFuture<Void> calls = CompletableFuture.runAsync(() -> {
                adapter.lock(key).close();
                // the observer now blocks on the first Acquired of this key; keep locking meanwhile
                await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(blocker::isBlocked);
                for (int i = 0; i < 20; i++) {
                    adapter.lock(key).close();
                }
            }, TEST_THREADS);
            calls.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(blocker.isBlocked()).as("the observer is still blocked").isTrue();
        } finally {
            blocker.letGo();
        }
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> recorder.of(key).size() == 42);
    }

    @Test
    void aThrowingObserverFailsNoLockCallAndIsLogged() {
        String key = unique("boom");
        try (LogCapture logs = LogCapture.start()) {
            try (Lease lease = adapter.lock(key)) {
                assertThat(lease.isHeld()).isTrue();
            }
            adapter.acquire(key, LockOptions.defaults().withMaxWait(Duration.ZERO));
            adapter.release(key);
            assertThat(cdi.redisKeyExists(key)).isFalse();
            await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> logs.lines("WARN").stream()
                    .anyMatch(line -> line.contains("observer") && line.contains(key) && line.contains("observer boom")));
        }
    }

    /** Only event types with asynchronous observers are built; a synchronous observer does not count. */
    @Test
    void typesWithoutAsyncObserversAreNotBuilt() {
        assertThat(firedBy(cdi)).as("a container observing LockEvent").hasSize(4);
        try (CdiContainers onlyLost = CdiContainers.start(LostOnly.class, SynchronousOnly.class)) {
            assertThat(firedBy(onlyLost)).containsExactly(LockEvent.Lost.class);
        }
        try (CdiContainers none = CdiContainers.start(SynchronousOnly.class)) {
            RedisAdapter noObservers = (RedisAdapter) none.select(AdapterProducer.class).adapter();
            assertThat(noObservers.reportedEvents()).isEmpty();
            noObservers.lock(unique("sync-only")).close();
            assertThat(none.select(SynchronousOnly.class).seen()).as("synchronous observers are not notified").isZero();
        }
    }

    private static Set<Class<? extends LockEvent>> firedBy(CdiContainers container) {
        return ((RedisAdapter) container.select(AdapterProducer.class).adapter()).reportedEvents();
    }

    private static String unique(String prefix) {
        return prefix + ":" + UUID.randomUUID().toString().substring(0, 8);
    }

    // ---- the beans ---------------------------------------------------------------------------------

    @ApplicationScoped
    public static class Recorder {
        private final List<LockEvent> events = new CopyOnWriteArrayList<>();

        void on(@ObservesAsync LockEvent event) {
            events.add(event);
        }

        List<LockEvent> of(String key) {
            return events.stream().filter(event -> event.key().equals(key)).toList();
        }
    }

    /** Blocks on the first {@code Acquired} of a {@code block:} key until {@link #letGo()} (the test uses it through its client proxy). */
    @ApplicationScoped
    public static class BlockingObserver {
        private final CountDownLatch entered = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);

        void on(@ObservesAsync LockEvent.Acquired acquired) throws InterruptedException {
            if (acquired.key().startsWith("block:") && entered.getCount() == 1) {
                entered.countDown();
                release.await(TIMEOUT_SECONDS * 2, TimeUnit.SECONDS);
            }
        }

        boolean isBlocked() {
            return entered.getCount() == 0 && release.getCount() == 1;
        }

        void letGo() {
            release.countDown();
        }
    }

    @ApplicationScoped
    public static class ThrowingObserver {
        void on(@ObservesAsync LockEvent event) {
            if (event.key().startsWith("boom:")) {
                throw new IllegalStateException("observer boom");
            }
        }
    }

    @ApplicationScoped
    public static class Jobs {
        @Locked("job:{id}")
        public void run(String id, Runnable work) {
            work.run();
        }

        @Locked(value = "job:{id}", maxWait = "0s", onContention = Locked.OnContention.SKIP)
        public Optional<String> skipIfBusy(String id, Runnable work) {
            work.run();
            return Optional.of(id);
        }
    }

    @ApplicationScoped
    public static class LostOnly {
        void on(@ObservesAsync LockEvent.Lost lost) {
            // only here to be found
        }
    }

    @ApplicationScoped
    public static class SynchronousOnly {
        private final AtomicInteger seen = new AtomicInteger();

        void on(@Observes LockEvent event) {
            seen.incrementAndGet();
        }

        int seen() {
            return seen.get();
        }
    }
}
