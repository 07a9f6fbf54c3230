package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.internal.metrics.Instruments;
import io.github.distributedmutex.internal.metrics.micrometer.MicrometerLockRecorder;
import io.github.distributedmutex.internal.metrics.otel.OpenTelemetryLockRecorder;
import io.github.distributedmutex.internal.redis.LockListener;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import io.github.distributedmutex.testing.TestAdapters;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What operations see of calls at their hard moments, on the shared real Redis: a call is reported acquired (event,
 * metric, hold) only once its caller has the lease, a stage cancelled before the hand-out counts as not acquired, the
 * held-locks gauge drops a lease that ran out unclosed, and OpenTelemetry's lost-lease and failing-renewal series
 * start at 0. A lock event listener (called synchronously, on the thread that learned of the change) and a completion
 * executor that holds its tasks until the test lets them run pin the races to the moment they need.
 */
class OperationsReportingTest {

    private static final Duration SETTLE = Duration.ofSeconds(30);

    private final TestAdapters adapters = TestAdapters.onSharedRedis();
    private final List<LockEvent> events = new CopyOnWriteArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @AfterEach
    void tearDown() throws Exception {
        adapters.close();
    }

    private RedisAdapter adapter(Executor completions, LockListener listener) {
        return connected(adapters.register(new RedisAdapter(RedissonClientFactory.connect(adapters.settings()),
                adapters.settings(), completions, listener, MicrometerLockRecorder.create(registry))));
    }

    /** Waits until the adapter's client is connected (the machine is loaded: a first connection may take seconds). */
    private static <A extends Adapter> A connected(A adapter) {
        await("connected").atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            adapter.lock("warm-up").close();
            return true;
        });
        return adapter;
    }

    private List<LockEvent> eventsOf(String key) {
        return events.stream().filter(event -> event.key().equals(key)).toList();
    }

    private long acquisitions(String name, String outcome) {
        Timer timer = registry.find(Instruments.ACQUIRE_DURATION).tag(Instruments.NAME, name)
                .tag(Instruments.ACQUIRE_OUTCOME, outcome).timer();
        return timer == null ? 0 : timer.count();
    }

    private long holds(String name, String outcome) {
        Timer timer = registry.find(Instruments.HOLD_DURATION).tag(Instruments.NAME, name)
                .tag(Instruments.RELEASE_OUTCOME, outcome).timer();
        return timer == null ? 0 : timer.count();
    }

    /**
     * An {@code Acquired} event means the caller has the lease: it is reported once the stage completed with it, so a
     * cancel that comes with the event (here from the listener, the earliest point after it) is too late, and the call
     * is reported acquired once, never also not acquired. (Before, {@code Acquired} came with the grant, and a cancel
     * right after it gave the lease back and reported Acquired, NotAcquired and a hold for a lease nobody got.)
     */
    @Test
    void anAcquiredEventMeansTheCallerHasTheLeaseAndTheCallIsReportedOnce() throws Exception {
        AtomicReference<CompletableFuture<Lease>> toCancel = new AtomicReference<>();
        LockListener listener = event -> {
            events.add(event);
            CompletableFuture<Lease> stage = toCancel.get();
            if (event instanceof LockEvent.Acquired && event.key().equals("race:grant") && stage != null) {
                stage.cancel(false); // as early as anybody can learn of the grant
            }
        };
        RedisAdapter adapter = adapter(null, listener);
        RedisAdapter holder = connected(adapters.newInstance());
        Lease held = holder.lock("race:grant");
        CompletableFuture<Lease> stage = adapter.lockAsync("race:grant", LockOptions.defaults().withMaxWait(SETTLE))
                .toCompletableFuture();
        toCancel.set(stage);
        await("waiting").atMost(SETTLE).until(() -> adapter.keysWithWaiters() == 1);
        held.close();
        Lease lease = stage.get(SETTLE.toSeconds(), TimeUnit.SECONDS);
        assertThat(stage.isCancelled()).as("cancelled after it completed").isFalse();
        assertThat(lease.isHeld()).isTrue();
        lease.close();
        await("released").atMost(SETTLE).until(() -> holds("race", "released") == 1);
        SoftAssertions.assertSoftly(soft -> {
            soft.assertThat(acquisitions("race", "acquired")).as("acquired").isEqualTo(1);
            soft.assertThat(acquisitions("race", "not_acquired")).as("not acquired").isZero();
            soft.assertThat(eventsOf("race:grant")).extracting(Object::getClass).as("events of the call")
                    .containsExactly(LockEvent.Acquired.class, LockEvent.Released.class);
        });
    }

    /**
     * A stage cancelled after the acquisition settled but before the lease was handed out (the completion executor,
     * an EE server's ManagedExecutorService, has not run the hand-out yet). The lease is given back and the caller
     * sees a CancellationException, yet the acquire duration says acquired, LockEvent.Acquired and Released are
     * fired, and NotAcquired(CANCELLED) (whose Javadoc: "cancelled ... before the lock was handed out") never is.
     * README metrics table: not_acquired is "contended for the whole wait, interrupted, or an asynchronous call's
     * stage cancelled".
     */
    @Test
    void aStageCancelledBeforeItsLeaseIsHandedOutCountsAsNotAcquired() throws Exception {
        Queue<Runnable> parked = new ConcurrentLinkedQueue<>();
        AtomicReference<Boolean> open = new AtomicReference<>(false);
        Executor gated = task -> {
            if (open.get()) {
                task.run();
            } else {
                parked.add(task);
            }
        };
        RedisAdapter adapter = adapter(gated, events::add);
        // the warm-up's release parks exactly one completion (its closeAsync stage): run it first
        await("warm-up completion parked").atMost(SETTLE).until(() -> parked.size() == 1);
        parked.poll().run();
        CompletableFuture<Lease> stage = adapter.lockAsync("handout:1", LockOptions.defaults()).toCompletableFuture();
        await("settled, hand-out parked").atMost(SETTLE).until(() -> !parked.isEmpty());
        assertThat(stage.cancel(false)).isTrue();
        open.set(true);
        for (Runnable task = parked.poll(); task != null; task = parked.poll()) {
            task.run();
        }
        await("given back").atMost(SETTLE).until(() -> adapter.perKeyState() == 0
                && adapter.inspect("handout:1").isEmpty() && adapter.acquisitionsUnderWay() == 0);
        await("every report in").atMost(SETTLE).until(() -> eventsOf("handout:1").size() >= 2
                || eventsOf("handout:1").stream().anyMatch(LockEvent.NotAcquired.class::isInstance));
        assertThat(stage).isCancelled();
        SoftAssertions.assertSoftly(soft -> {
            soft.assertThat(acquisitions("handout", "acquired")).as("acquire outcome 'acquired' for a cancelled call")
                    .isZero();
            soft.assertThat(acquisitions("handout", "not_acquired")).as("not_acquired").isEqualTo(1);
            soft.assertThat(holds("handout", "released")).as("holds recorded for a lease never handed out").isZero();
            soft.assertThat(eventsOf("handout:1")).extracting(Object::getClass)
                    .as("events of a call whose stage was cancelled before the hand-out")
                    .containsExactly(LockEvent.NotAcquired.class);
        });
    }

    /**
     * A lease that ran out in Redis and was never closed (a leaked Lease, or a holder stuck past a lease without
     * watchdog): heldLocally() and inspect() say nobody holds it, the held-locks gauge says this instance holds it,
     * forever (until close()).
     */
    @Test
    void anExpiredLeaseThatWasNeverClosedIsNotCountedAsHeldForever() {
        RedisAdapter adapter = adapter(null, null);
        Lease leaked = adapter.lock("leak:1", LockOptions.defaults().withLease(Duration.ofMillis(300)));
        await("run out").atMost(SETTLE).until(() -> adapter.heldLocally().isEmpty()
                && adapter.inspect("leak:1").isEmpty());
        Gauge gauge = registry.find(Instruments.HELD).tag(Instruments.NAME, "leak").gauge();
        assertThat(gauge).isNotNull();
        assertThat(gauge.value()).as("held-locks gauge for a lock that heldLocally() and Redis say is not held")
                .isZero();
        leaked.close();
    }

    /**
     * OpenTelemetry: the lease-lost counter's series of a name does not exist until the first loss, so the README's
     * first alert, {@code increase(distributedmutex_lease_lost_total[5m]) > 0}, sees a new series whose first sample
     * is already 1 and misses the first lost lease of every name on every instance after each restart. The Micrometer
     * recorder registers its counters with the name for exactly this reason (README: "so that an alert on their
     * increase sees the first one"); the same holds for renewals{outcome=failed}.
     */
    @Test
    void openTelemetryHasTheLostAndFailedRenewalSeriesBeforeTheFirstLoss() {
        InMemoryMetricReader reader = InMemoryMetricReader.create();
        try (SdkMeterProvider provider = SdkMeterProvider.builder().registerMetricReader(reader).build()) {
            RedisAdapter adapter = connected(adapters.register(new RedisAdapter(
                    RedissonClientFactory.connect(adapters.settings()), adapters.settings(), null, null,
                    OpenTelemetryLockRecorder.create(OpenTelemetrySdk.builder().setMeterProvider(provider).build()))));
            RedisAdapter micrometer = adapter(null, null);
            adapter.lock("job:1").close();
            micrometer.lock("job:1").close();
            assertThat(registry.find(Instruments.LOST).tag(Instruments.NAME, "job").counter())
                    .as("Micrometer: lost counter at 0 before the first loss").isNotNull();
            List<MetricData> metrics = List.copyOf(reader.collectAllMetrics());
            Attributes job = Attributes.of(AttributeKey.stringKey(Instruments.NAME), "job");
            assertThat(metrics).as("OpenTelemetry: a lease-lost series at 0 for 'job' before the first loss")
                    .anySatisfy(metric -> {
                        assertThat(metric.getName()).isEqualTo(Instruments.LOST);
                        assertThat(metric.getLongSumData().getPoints())
                                .anySatisfy(point -> assertThat(point.getAttributes()).isEqualTo(job));
                    });
        }
    }

    /**
     * Two adapters on one OpenTelemetry (two applications on one server whose MP Telemetry SDK is shared, as a
     * server-level Open Liberty configuration; or two adapters in one application): each registers its own held
     * callback for the same attributes, and the SDK keeps one value per attribute set per collection, so the gauge
     * shows one adapter's locks, not their sum. The Micrometer recorder sums them (SharedGauge; README: "Several
     * adapters on one MeterRegistry share its held and waiters gauges, which add up").
     */
    @Test
    void twoAdaptersOnOneOpenTelemetryAddUpTheirHeldLocks() {
        InMemoryMetricReader reader = InMemoryMetricReader.create();
        try (SdkMeterProvider provider = SdkMeterProvider.builder().registerMetricReader(reader).build()) {
            OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setMeterProvider(provider).build();
            RedisAdapter first = connected(adapters.register(new RedisAdapter(
                    RedissonClientFactory.connect(adapters.settings()), adapters.settings(), null, null,
                    OpenTelemetryLockRecorder.create(sdk))));
            RedisAdapter second = connected(adapters.register(new RedisAdapter(
                    RedissonClientFactory.connect(adapters.settings()), adapters.settings(), null, null,
                    OpenTelemetryLockRecorder.create(sdk))));
            try (Lease a = first.lock("shared:1"); Lease b = second.lock("shared:2")) {
                Attributes shared = Attributes.of(AttributeKey.stringKey(Instruments.NAME), "shared");
                long held = reader.collectAllMetrics().stream().filter(m -> m.getName().equals(Instruments.HELD))
                        .flatMap(m -> m.getLongSumData().getPoints().stream())
                        .filter(p -> p.getAttributes().equals(shared)).mapToLong(p -> p.getValue()).sum();
                assertThat(held).as("held{name=shared} with one lock held by each adapter").isEqualTo(2);
            }
        }
    }
}
