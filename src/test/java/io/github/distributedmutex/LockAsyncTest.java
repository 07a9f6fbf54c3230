package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.TcpProxy;
import io.github.distributedmutex.testing.TestAdapters;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The non-blocking calls ({@link Adapter#lockAsync}, {@link Adapter#tryLockAsync}, {@link Adapter#lockAllAsync},
 * {@link Adapter#tryLockAllAsync}) on a real Redis: they return at once, a waiting acquisition holds no thread, the
 * stage completes off Redisson's I/O threads, the wait is bounded and woken by a release, and a cancelled stage
 * leaves nothing held, also when its grant arrives after the cancel. Bad input is in {@link BadInputTest}.
 */
class LockAsyncTest {

    private static final Duration LONG = Duration.ofSeconds(60);

    private final TestAdapters adapters = TestAdapters.onSharedRedis();

    @AfterEach
    void tearDown() throws Exception {
        adapters.close();
    }

    @Test
    void theCallReturnsAtOnceAndItsStageCompletesWhenTheHolderReleases() throws Exception {
        Adapter holder = adapters.newInstance();
        Adapter waiter = adapters.newInstance();
        Lease held = holder.lock("returns-at-once");
        // the test thread itself holds nothing of the wait: were the call blocking, nobody would release
        CompletionStage<Lease> stage = waiter.lockAsync("returns-at-once", LockOptions.defaults().withMaxWait(LONG));
        assertThat(stage.toCompletableFuture().isDone()).as("done while the holder still holds").isFalse();
        long token = held.fencingToken();
        held.close();
        try (Lease lease = stage.toCompletableFuture().get(60, TimeUnit.SECONDS)) {
            assertThat(lease.isHeld()).isTrue();
            assertThat(lease.fencingToken()).isGreaterThan(token);
        }
    }

    @Test
    void aStageCompletesOnTheCompletionThreadsNeverOnRedissonsIoThreads() throws Exception {
        Adapter adapter = adapters.newInstance();
        Lease held = adapter.lock("completion-thread");
        CompletableFuture<String> thread = adapter.lockAsync("completion-thread", LockOptions.defaults()
                .withMaxWait(LONG)).thenApply(lease -> {
                    String name = Thread.currentThread().getName();
                    lease.close();
                    return name;
                }).toCompletableFuture();
        held.close();
        assertThat(thread.get(60, TimeUnit.SECONDS)).startsWith("distributed-mutex-completion-")
                .doesNotContain("redisson");
    }

    @Test
    void theStagesCompleteOnTheApplicationsExecutorWhenOneIsGiven() throws Exception {
        ExecutorService managed = Executors.newSingleThreadExecutor(
                runnable -> new Thread(runnable, "managed-1"));
        try {
            RedisAdapter adapter = adapters.register(new RedisAdapter(
                    RedissonClientFactory.connect(adapters.settings()), adapters.settings(), managed));
            String name = adapter.lockAsync("on-the-executor", LockOptions.defaults()).thenApply(lease -> {
                lease.close();
                return Thread.currentThread().getName();
            }).toCompletableFuture().get(60, TimeUnit.SECONDS);
            assertThat(name).isEqualTo("managed-1");
        } finally {
            managed.shutdownNow();
        }
    }

    @Test
    void manyWaitingAcquisitionsHoldNoThreadAndGetTheLockOneAfterAnother() throws Exception {
        int waiters = 400;
        Adapter holder = adapters.newInstance();
        RedisAdapter waiting = adapters.newInstance();
        Lease held = holder.lock("many-waiters", LockOptions.defaults().withLease(LONG));
        // connected, and its completion threads started, before the threads are counted
        waiting.lockAsync("many-waiters-warm-up", LockOptions.defaults()).thenCompose(Lease::closeAsync)
                .toCompletableFuture().get(60, TimeUnit.SECONDS);
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        AtomicInteger inside = new AtomicInteger();
        ConcurrentLinkedQueue<String> overlaps = new ConcurrentLinkedQueue<>();
        List<CompletableFuture<Long>> tokens = new ArrayList<>();
        for (int i = 0; i < waiters; i++) {
            tokens.add(waiting.lockAsync("many-waiters", LockOptions.defaults().withMaxWait(Duration.ofMinutes(3))
                    .withLease(LONG)).thenApply(lease -> {
                        if (inside.incrementAndGet() != 1) {
                            overlaps.add(Thread.currentThread().getName());
                        }
                        long token = lease.fencingToken();
                        inside.decrementAndGet();
                        lease.close();
                        return token;
                    }).toCompletableFuture());
        }
        await("every acquisition waits").atMost(LONG)
                .until(() -> waiting.inspect("many-waiters").map(LockInfo::waiters).orElse(0) == waiters);
        assertThat(ManagementFactory.getThreadMXBean().getThreadCount() - threadsBefore)
                .as("threads started while " + waiters + " acquisitions wait").isLessThan(50);
        held.close();
        List<Long> granted = new ArrayList<>();
        for (CompletableFuture<Long> token : tokens) {
            granted.add(token.get(3, TimeUnit.MINUTES));
        }
        assertThat(overlaps).as("two holders at once").isEmpty();
        assertThat(granted).doesNotHaveDuplicates().allMatch(token -> token > held.fencingToken());
        await("nothing left per key").atMost(LONG).until(() -> waiting.perKeyState() == 0);
    }

    @Test
    void theWaitIsBoundedAndNamesTheHolder() throws Exception {
        Adapter holder = adapters.withInstanceName("holder-instance").newInstance();
        Adapter waiter = adapters.newInstance();
        try (Lease ignored = holder.lock("bounded")) {
            LockOptions shortWait = LockOptions.defaults().withMaxWait(Duration.ofMillis(300));
            assertThat(waiter.tryLockAsync("bounded", shortWait).toCompletableFuture().get(60, TimeUnit.SECONDS))
                    .isEmpty();
            assertThatThrownBy(() -> waiter.lockAsync("bounded", shortWait).toCompletableFuture()
                    .get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(LockNotAcquiredException.class).hasMessageContaining("bounded")
                    .hasMessageContaining("holder-instance");
        }
    }

    @Test
    void cancellingAWaitingStageEndsTheWaitAndLeavesNothingHeld() throws Exception {
        Adapter holder = adapters.newInstance();
        RedisAdapter waiter = adapters.newInstance();
        Lease held = holder.lock("cancelled-wait");
        CompletableFuture<Lease> stage = waiter.lockAsync("cancelled-wait", LockOptions.defaults().withMaxWait(LONG))
                .toCompletableFuture();
        await("queued as a waiter").atMost(LONG).until(() -> waiter.keysWithWaiters() == 1);
        assertThat(stage.cancel(false)).isTrue();
        await("the wait ended").atMost(LONG).until(() -> waiter.perKeyState() == 0);
        held.close();
        assertThat(holder.inspect("cancelled-wait")).as("nobody took it after the release").isEmpty();
        assertThatThrownBy(stage::join).isInstanceOf(CancellationException.class);
    }

    @Test
    void aGrantThatArrivesAfterTheCancelIsGivenBack() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start();
             TcpProxy proxy = TcpProxy.start(redis.port());
             TestAdapters local = TestAdapters.on(proxy.address())) {
            RedisAdapter adapter = local.newInstance();
            adapter.lock("warm-up").close();
            // the same key prefix, straight to Redis: unaffected by the frozen proxy
            RedisAdapter direct = local.register(new RedisAdapter(RedissonClientFactory.connect(
                    local.settings().withRedisAddress(redis.address())), local.settings()));
            // the attempt reaches Redis only after the cancel: it grants, and the give-back must delete it
            proxy.freeze();
            CompletableFuture<Lease> stage = adapter.lockAsync("late-grant", LockOptions.defaults()
                    .withLease(LONG)).toCompletableFuture();
            stage.cancel(false);
            proxy.thaw();
            await("the late grant is given back").atMost(LONG).ignoreExceptions()
                    .until(() -> direct.inspect("late-grant").isEmpty() && adapter.perKeyState() == 0);
            try (Lease other = direct.lock("late-grant", LockOptions.defaults().withMaxWait(Duration.ZERO))) {
                assertThat(other.isHeld()).isTrue();
            }
        }
    }

    @Test
    void aStageCompletedFromOutsideBeforeTheGrantGivesTheGrantBack() throws Exception {
        RedisAdapter adapter = adapters.newInstance();
        Adapter other = adapters.newInstance();
        for (int i = 0; i < 30; i++) {
            String key = "completed-outside-" + i;
            CompletableFuture<Lease> stage = adapter.lockAsync(key, LockOptions.defaults()).toCompletableFuture();
            boolean ours = stage.complete(null); // races with the grant: both orders must leave nothing held
            if (ours) {
                await("given back").atMost(LONG).until(() -> other.inspect(key).isEmpty());
            } else {
                stage.join().close();
            }
            try (Lease lease = other.lock(key, LockOptions.defaults().withMaxWait(LONG))) {
                assertThat(lease.isHeld()).isTrue();
            }
        }
        await("nothing left per key").atMost(LONG).until(() -> adapter.perKeyState() == 0);
    }

    @Test
    void aClosedAdapterFailsTheStageInsteadOfThrowing() {
        RedisAdapter adapter = adapters.newInstance();
        adapter.close();
        CompletionStage<Lease> stage = adapter.lockAsync("closed", LockOptions.defaults());
        assertThatThrownBy(() -> stage.toCompletableFuture().get(60, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void anAsynchronousSetIsAllOrNothingAndOppositeOrdersNeverDeadlock() throws Exception {
        Adapter first = adapters.newInstance();
        Adapter second = adapters.newInstance();
        try (Lease b = second.lock("set-b")) {
            assertThat(first.tryLockAllAsync(List.of("set-a", "set-b"), LockOptions.defaults()
                    .withMaxWait(Duration.ofMillis(200))).toCompletableFuture().get(60, TimeUnit.SECONDS)).isEmpty();
            assertThat(second.inspect("set-a")).as("nothing of the set is held").isEmpty();
            assertThat(b.isHeld()).isTrue();
        }
        List<CompletableFuture<Void>> rounds = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            rounds.add(first.lockAllAsync(List.of("set-a", "set-b"), LockOptions.defaults().withMaxWait(LONG))
                    .thenCompose(Lease::closeAsync).toCompletableFuture());
            rounds.add(second.lockAllAsync(List.of("set-b", "set-a"), LockOptions.defaults().withMaxWait(LONG))
                    .thenCompose(Lease::closeAsync).toCompletableFuture());
        }
        CompletableFuture.allOf(rounds.toArray(CompletableFuture[]::new)).get(3, TimeUnit.MINUTES);
        Optional<LockInfo> left = first.inspect("set-a");
        assertThat(left).isEmpty();
    }
}
