package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.internal.redis.LockListener;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The hostile re-review of the non-blocking acquisitions (after fdeab42). Real Redis. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AsyncReReviewTest {

    private static final Duration SETTLE = Duration.ofSeconds(30);

    private TestAdapters adapters;

    @AfterEach
    void close() throws Exception {
        if (adapters != null) {
            adapters.close();
        }
    }

    /**
     * AsyncReviewTest#aCallCompletedFromOutsideIsReportedOnce says a call is reported either Acquired or NotAcquired,
     * never both; it cancels before the grant arrives. A cancel that comes after {@code Acquisitions.Call.granted}
     * delivered Acquired and before {@code succeeded()} looks at the cancellation (here: the moment the listener is
     * told, which makes the race deterministic) makes the same call report Acquired and NotAcquired(CANCELLED).
     */
    @Test
    void aCancelRightAfterTheGrantIsReportedOnce() throws Exception {
        ConcurrentLinkedQueue<LockEvent> events = new ConcurrentLinkedQueue<>();
        ConcurrentHashMap<String, CompletableFuture<Lease>> stages = new ConcurrentHashMap<>();
        LockListener listener = event -> {
            events.add(event);
            if (event instanceof LockEvent.Acquired acquired) {
                CompletableFuture<Lease> stage = stages.get(acquired.key());
                if (stage != null) {
                    stage.cancel(false); // the caller gives up just as the grant arrives
                }
            }
        };
        adapters = TestAdapters.onSharedRedis();
        RedisAdapter adapter = adapters.newInstance(listener);
        await("connected").atMost(SETTLE).until(() -> adapter.readiness(Duration.ofSeconds(1)).up());
        String key = "rereview-reported-once";
        try (Lease holder = adapter.lock(key)) {
            // the call waits for the holder, so its stage is known before it is granted
            stages.put(key, adapter.lockAsync(key, LockOptions.defaults()).toCompletableFuture());
            await().atMost(SETTLE).until(() -> adapter.keysWithWaiters() == 1);
        }
        await("nothing left").atMost(SETTLE).until(() -> adapter.perKeyState() == 0
                && adapter.acquisitionsUnderWay() == 0);
        List<LockEvent> of = events.stream().filter(e -> e.key().equals(key)).toList();
        // the holder's Acquired and Released, then the cancelled call's events
        List<LockEvent> call = of.subList(2, of.size());
        assertThat(call.stream().anyMatch(e -> e instanceof LockEvent.Acquired)
                && call.stream().anyMatch(e -> e instanceof LockEvent.NotAcquired))
                .as("the cancelled call reported both Acquired and NotAcquired: %s", call).isFalse();
    }
}
