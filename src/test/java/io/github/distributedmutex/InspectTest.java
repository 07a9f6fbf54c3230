package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Adapter#inspect(String)} reads a lock's holder from Redis, whichever instance holds it;
 * {@link Adapter#heldLocally()} lists what this instance holds, from memory. Owner ids carry the
 * instance name ({@code distributedmutex.instance-name}), which may contain separators.
 */
class InspectTest {

    private static final Duration LEASE = Duration.ofSeconds(30);

    private final TestAdapters adapters = TestAdapters.onSharedRedis();
    private final TestAdapters web1 = adapters.withInstanceName("web-1");
    private final TestAdapters console = adapters.withInstanceName("ops-console");
    private final ExecutorService otherThread = Executors.newSingleThreadExecutor();

    @AfterEach
    void tearDown() throws Exception {
        otherThread.shutdownNow();
        adapters.close();
    }

    @Test
    void aFreeKeyIsEmpty() {
        assertThat(console.newInstance().inspect("nobody-holds-this")).isEmpty();
    }

    @Test
    void aKeyHeldByAnotherInstanceShowsItsHolder() {
        Adapter holder = web1.newInstance();
        Adapter inspector = console.newInstance();
        long before = System.nanoTime();
        try (Lease lease = holder.lock("job:42", LockOptions.defaults().withLease(LEASE))) {
            LockInfo info = inspector.inspect("job:42").orElseThrow();
            Duration elapsed = Duration.ofNanos(System.nanoTime() - before);

            assertThat(info.key()).isEqualTo("job:42");
            assertThat(info.owner()).as("the owner id in Redis")
                    .isEqualTo(redis("HGET", adapters.redisKey("job:42"), "owner")).startsWith("web-1#");
            assertThat(info.instance()).isEqualTo("web-1");
            assertThat(info.fencingToken()).isEqualTo(lease.fencingToken());
            assertThat(info.remainingLease()).as("Redis's remaining time to live, %s after the lock call began", elapsed)
                    .isLessThanOrEqualTo(LEASE).isGreaterThanOrEqualTo(LEASE.minus(elapsed).minusMillis(100));
            assertThat(info.waiters()).isZero();
            assertThat(info.releasedEarly()).isFalse();
        }
        assertThat(inspector.inspect("job:42")).as("after the release").isEmpty();
    }

    @Test
    void waitersAreThoseOfTheInspectingInstance() throws Exception {
        Adapter holder = web1.newInstance();
        Adapter inspector = console.newInstance();
        Lease lease = holder.lock("contended");
        CompletableFuture<Optional<Lease>> waiting = CompletableFuture.supplyAsync(
                () -> inspector.tryLock("contended", Duration.ofSeconds(30)), otherThread);

        await().atMost(Duration.ofSeconds(20)).until(() -> inspector.inspect("contended").orElseThrow().waiters() == 1);
        assertThat(holder.inspect("contended").orElseThrow().waiters())
                .as("the holder's instance does not know the other instance's waiter").isZero();

        lease.close();
        try (Lease next = waiting.get(30, TimeUnit.SECONDS).orElseThrow()) {
            LockInfo info = holder.inspect("contended").orElseThrow();
            assertThat(info.instance()).isEqualTo("ops-console");
            assertThat(info.fencingToken()).isEqualTo(next.fencingToken());
            assertThat(info.waiters()).isZero();
        }
    }

    /**
     * After an early release with {@code holdAtLeast} the lock stays taken by nobody: the owner
     * field is renamed {@code <owner>~released} in Redis; inspect shows the releasing holder's owner
     * without the suffix, flagged {@code releasedEarly}, with the rest of the minimum hold.
     */
    @Test
    void aLockReleasedBeforeItsMinimumHoldShowsAsReleasedEarly() {
        Adapter holder = web1.newInstance();
        Adapter inspector = console.newInstance();
        Duration hold = Duration.ofSeconds(5);
        Lease lease = holder.lock("tick", LockOptions.defaults().withLease(LEASE).withHoldAtLeast(hold));
        LockInfo held = inspector.inspect("tick").orElseThrow();
        lease.close();

        LockInfo released = inspector.inspect("tick").orElseThrow();
        assertThat(redis("HGET", adapters.redisKey("tick"), "owner")).isEqualTo(held.owner() + "~released");
        assertThat(released.releasedEarly()).isTrue();
        assertThat(released.owner()).isEqualTo(held.owner());
        assertThat(released.instance()).isEqualTo("web-1");
        assertThat(released.fencingToken()).isEqualTo(lease.fencingToken());
        assertThat(released.remainingLease()).isPositive().isLessThanOrEqualTo(hold);
        assertThat(held.releasedEarly()).isFalse();
        assertThat(holder.heldLocally()).as("the releasing instance no longer holds it").isEmpty();
    }

    @Test
    void keysWithBracesAreInspectedByTheirOwnName() {
        Adapter holder = web1.newInstance();
        Adapter inspector = console.newInstance();
        List<String> keys = List.of("job:{42}", "}x{", "a}b", "{");
        List<Lease> leases = keys.stream().map(holder::lock).toList();
        try {
            for (String key : keys) {
                LockInfo info = inspector.inspect(key).orElseThrow();
                assertThat(info.key()).isEqualTo(key);
                assertThat(info.owner()).isEqualTo(redis("HGET", adapters.redisKey(key), "owner"));
            }
            assertThat(inspector.inspect("job:{42")).as("a different key").isEmpty();
            assertThat(inspector.inspect("a}")).as("a different key").isEmpty();
        } finally {
            leases.forEach(Lease::close);
        }
    }

    /** Instance names may contain the characters owner ids are built with; they are read back whole. */
    @Test
    void anInstanceNameWithSeparatorsIsReadBackWhole() {
        String name = "pod:7#blue/{x}~released@node-3";
        Adapter holder = adapters.withInstanceName(name).newInstance();
        Adapter inspector = console.newInstance();
        try (Lease lease = holder.lock("separators")) {
            LockInfo info = inspector.inspect("separators").orElseThrow();
            assertThat(info.instance()).isEqualTo(name);
            assertThat(info.owner()).startsWith(name + "#");
            assertThat(info.releasedEarly()).isFalse();
            assertThat(holder.heldLocally()).singleElement().satisfies(local -> {
                assertThat(local.instance()).isEqualTo(name);
                assertThat(local.owner()).isEqualTo(info.owner());
            });
        }
        Lease early = holder.lock("separators", LockOptions.defaults().withHoldAtLeast(Duration.ofSeconds(5)));
        early.close();
        LockInfo released = inspector.inspect("separators").orElseThrow();
        assertThat(released.releasedEarly()).isTrue();
        assertThat(released.instance()).isEqualTo(name);
    }

    @Test
    void theDefaultInstanceNameIsThePidAndTheHostName() {
        RedisAdapter adapter = adapters.newInstance();
        try (Lease lease = adapter.lock("default-name")) {
            LockInfo info = console.newInstance().inspect("default-name").orElseThrow();
            assertThat(info.instance()).startsWith(ProcessHandle.current().pid() + "@").doesNotContainAnyWhitespaces()
                    .isEqualTo(adapter.settings().instanceName());
        }
    }

    /** A lock written by something else than this version's scripts is still shown, as far as it can be. */
    @Test
    void anOwnerInAnotherFormatHasNoInstance() {
        String redisKey = adapters.redisKey("legacy");
        redis("HSET", redisKey, "owner", "4242-0123456789abcdef:7", "token", "1700000000000000");
        redis("PEXPIRE", redisKey, "30000");
        LockInfo info = console.newInstance().inspect("legacy").orElseThrow();
        assertThat(info.owner()).isEqualTo("4242-0123456789abcdef:7");
        assertThat(info.instance()).isEmpty();
        assertThat(info.fencingToken()).isEqualTo(1_700_000_000_000_000L);

        redis("PERSIST", redisKey);
        assertThat(console.newInstance().inspect("legacy").orElseThrow().remainingLease())
                .as("a key without expiry").isEqualTo(Duration.ofMillis(-1));
        redis("DEL", redisKey);
    }

    @Test
    void heldLocallyListsLeasesAndThreadHoldsOfThisInstanceOnly() throws Exception {
        RedisAdapter adapter = web1.newInstance();
        Adapter other = console.newInstance();
        Lease lease = adapter.lock("a-lease", LockOptions.defaults().withLease(LEASE));
        Lease watched = adapter.lock("d-watchdog", LockOptions.defaults().withLease(LEASE).withWatchdog(true));
        adapter.acquire("b-thread");
        adapter.acquire("b-thread"); // re-entered: still one hold
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread worker = new Thread(() -> {
            adapter.acquire("c-other-thread");
            holding.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                adapter.release("c-other-thread");
            }
        }, "heldLocally-worker");
        worker.start();
        assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
        Lease elsewhere = other.lock("e-other-instance");
        try {
            List<LockInfo> held = adapter.heldLocally();
            assertThat(held).extracting(LockInfo::key).containsExactly("a-lease", "b-thread", "c-other-thread",
                    "d-watchdog");
            for (LockInfo info : held) {
                LockInfo inRedis = other.inspect(info.key()).orElseThrow();
                assertThat(info.owner()).isEqualTo(inRedis.owner());
                assertThat(info.fencingToken()).isEqualTo(inRedis.fencingToken());
                assertThat(info.instance()).isEqualTo("web-1");
                assertThat(info.remainingLease()).isPositive().isLessThanOrEqualTo(
                        info.key().equals("a-lease") || info.key().equals("d-watchdog") ? LEASE : Duration.ofSeconds(60));
                assertThat(info.releasedEarly()).isFalse();
            }
            assertThat(held.get(1).fencingToken()).isEqualTo(adapter.fencingToken("b-thread").orElseThrow());
            assertThat(other.heldLocally()).extracting(LockInfo::key).containsExactly("e-other-instance");

            adapter.release("b-thread");
            assertThat(adapter.heldLocally()).extracting(LockInfo::key).contains("b-thread");
            adapter.release("b-thread");
            done.countDown();
            worker.join(TimeUnit.SECONDS.toMillis(30));
            lease.close();
            assertThat(adapter.heldLocally()).extracting(LockInfo::key).containsExactly("d-watchdog");
        } finally {
            done.countDown();
            elsewhere.close();
            watched.close();
            lease.close();
        }
        assertThat(adapter.heldLocally()).isEmpty();
    }

    @Test
    void aLeaseFoundLostIsNotHeldLocally() {
        Adapter adapter = web1.newInstance();
        try (Lease lease = adapter.lock("lost-behind-its-back")) {
            assertThat(adapter.heldLocally()).hasSize(1);
            redis("DEL", adapters.redisKey("lost-behind-its-back"));
            assertThat(lease.isHeld()).isFalse();
            assertThat(adapter.heldLocally()).isEmpty();
        }
    }

    @Test
    void aClosedAdapterRefusesToInspect() {
        RedisAdapter adapter = console.newInstance();
        adapter.close();
        assertThatThrownBy(() -> adapter.inspect("k")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void withoutRedisInspectFailsWithinItsBound() throws Exception {
        try (TestAdapters offline = TestAdapters.on("redis://127.0.0.1:" + RedisServerProcess.freePort())) {
            Adapter adapter = offline.newInstance();
            long start = System.nanoTime();
            assertThatThrownBy(() -> adapter.inspect("k")).isInstanceOf(LockUnavailableException.class)
                    .hasMessageContaining("inspect").hasMessageContaining("'k'");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        }
    }

    private String redis(String... command) {
        return RedisCommands.call(adapters.settings().redisAddress(), command);
    }
}
