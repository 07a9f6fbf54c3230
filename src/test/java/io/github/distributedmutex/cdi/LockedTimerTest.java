package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockNotAcquiredException;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.Locked;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import io.github.distributedmutex.testing.CdiContainers;
import io.github.distributedmutex.testing.CdiTest;
import jakarta.ejb.ScheduleExpression;
import jakarta.ejb.Schedule;
import jakarta.ejb.Timer;
import jakarta.ejb.TimerHandle;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.Serializable;
import java.time.Duration;
import java.util.Date;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code @Locked} on an EJB timeout method with a {@code jakarta.ejb.Timer} parameter, and
 * {@code @Locked(holdAtLeast = ...)}.
 *
 * <p>Weld SE has no EJB container, so nothing here fires a timer or goes through
 * {@code @AroundTimeout}: the beans' timeout methods are called as business methods (through
 * {@code @AroundInvoke}, which shares its code with {@code @AroundTimeout}), with a timer object of
 * the test's own. That the servers call the interceptor's {@code @AroundTimeout} for real
 * {@code @Schedule} ticks is proved by the WildFly / Payara integration project.
 */
@CdiTest({LockedTimerTest.ReportJob.class, LockedTimerTest.QuickJob.class, LockedTimerTest.FlakyJob.class,
        LockedTimerTest.WaitlessJob.class})
class LockedTimerTest {

    private static CdiContainers cdi;
    private static RedisAdapter otherInstance;

    @BeforeAll
    static void start(CdiContainers started) {
        cdi = started;
        Settings settings = Settings.defaults().withRedisAddress(cdi.redisAddress()).withKeyPrefix(cdi.keyPrefix());
        otherInstance = new RedisAdapter(RedissonClientFactory.connect(settings), settings);
    }

    @AfterAll
    static void stop() {
        otherInstance.close();
    }

    @Test
    void theTimerIsAKeyTemplateValueSourceAndTheTickStaysLockedForHoldAtLeast() {
        ReportJob job = cdi.select(ReportJob.class);
        Timer timer = new TestTimer("nightly-report");
        job.tick(timer, () -> cdi.redisKeyExists("report:nightly-report"));
        assertThat(job.runs()).isEqualTo(1);
        assertThat(job.lockedInside()).as("the key rendered from {timer.info} was held while the tick ran").isTrue();

        // the tick returned at once; another node firing the same tick a little later is skipped
        assertThat(cdi.redisKeyExists("report:nightly-report")).isTrue();
        job.tick(timer, () -> true);
        assertThat(job.runs()).as("a second firing within holdAtLeast is skipped").isEqualTo(1);
        assertThat(otherInstance.tryLock("report:nightly-report", Duration.ZERO)).isEmpty();

        // ... until holdAtLeast after the acquisition; then the lock has freed itself
        otherInstance.tryLock("report:nightly-report", Duration.ofSeconds(20)).orElseThrow().close();
        job.tick(timer, () -> true);
        assertThat(job.runs()).isEqualTo(2);
    }

    @Test
    void aLockedMethodWithHoldAtLeastKeepsTheLockTakenAfterItReturns() {
        QuickJob job = cdi.select(QuickJob.class);
        long token = job.run();
        assertThat(otherInstance.tryLock("quick", Duration.ZERO)).as("right after the method returned").isEmpty();
        try (Lease next = otherInstance.tryLock("quick", Duration.ofSeconds(20)).orElseThrow()) {
            assertThat(next.fencingToken() - token).as("Redis clock between the two acquisitions, in microseconds")
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(2).toNanos() / 1000);
        }
    }

    @Test
    void holdAtLeastLongerThanTheConfiguredLeaseFailsTheStartupNamingTheMethodAndBoth() {
        assertThatThrownBy(() -> CdiContainers.builder().beans(QuickJob.class)
                .property("distributedmutex.lease", "1s").start().close())
                .hasStackTraceContaining("QuickJob#run()")
                .hasStackTraceContaining("holdAtLeast PT2S").hasStackTraceContaining("distributedmutex.lease PT1S");
    }

    @Test
    void aRunThatThrowsFreesTheLockAtOnceSoTheRetryRuns() {
        FlakyJob job = cdi.select(FlakyJob.class);
        job.failNext();
        assertThatThrownBy(job::tick).isInstanceOf(IllegalStateException.class).hasMessage("tick failed");
        assertThat(cdi.redisKeyExists("flaky")).as("no minimum hold after a failure").isFalse();
        job.tick(); // the container's retry
        assertThat(job.completedRuns()).as("the retry ran, it was not skipped").isEqualTo(1);
        assertThat(cdi.redisKeyExists("flaky")).as("a run that succeeded keeps its minimum hold").isTrue();
    }

    @Test
    void anAsynchronousRunThatFailsFreesTheLockAtOnce() {
        FlakyJob job = cdi.select(FlakyJob.class);
        assertThat(job.failAsync()).failsWithin(Duration.ofSeconds(20));
        assertThat(cdi.redisKeyExists("flaky-async")).as("no minimum hold after a failure").isFalse();
    }

    @Test
    void throwWithHoldAtLeastAndNoMaxWaitDoesNotWaitOutAnotherNodesMinimumHoldEither() {
        otherInstance.lock("waitless-throw", LockOptions.defaults().withHoldAtLeast(Duration.ofSeconds(3))).close();
        WaitlessJob job = cdi.select(WaitlessJob.class);
        assertThatThrownBy(job::tickOrThrow).isInstanceOf(LockNotAcquiredException.class);
        assertThat(job.throwingRuns()).as("not run after waiting out the other node's hold").isZero();
    }

    @Test
    void skipWithHoldAtLeastAndNoMaxWaitDoesNotWaitOutAnotherNodesMinimumHold() {
        // another node ran the tick and released it, keeping its minimum hold of 3 s
        otherInstance.lock("waitless", LockOptions.defaults().withHoldAtLeast(Duration.ofSeconds(3))).close();
        WaitlessJob job = cdi.select(WaitlessJob.class);
        job.tick();
        assertThat(job.runs()).as("skipped at once instead of waiting 3 s of the default 5 s wait and running the"
                + " same tick again").isZero();
    }

    // ---- the beans ---------------------------------------------------------------------------------

    @ApplicationScoped
    public static class ReportJob {
        private final AtomicInteger runs = new AtomicInteger();
        private volatile boolean lockedInside;

        public int runs() {
            return runs.get();
        }

        public boolean lockedInside() {
            return lockedInside;
        }

        /** On a server, fired every 2 s on every node; here called by the test. */
        @Schedule(second = "*/2", minute = "*", hour = "*", persistent = false, info = "nightly-report")
        @Locked(value = "report:{timer.info}", onContention = Locked.OnContention.SKIP, holdAtLeast = "2s",
                maxWait = "0s")
        public void tick(Timer timer, BooleanSupplier lockHeld) {
            runs.incrementAndGet();
            lockedInside = lockHeld.getAsBoolean();
        }
    }

    @ApplicationScoped
    public static class QuickJob {
        @Inject
        Adapter adapter;

        @Locked(value = "quick", holdAtLeast = "2s")
        public long run() {
            return adapter.fencingToken("quick").orElseThrow();
        }
    }

    @ApplicationScoped
    public static class FlakyJob {
        private final AtomicBoolean failNext = new AtomicBoolean();
        private final AtomicInteger completedRuns = new AtomicInteger();

        void failNext() {
            failNext.set(true);
        }

        public int completedRuns() {
            return completedRuns.get();
        }

        @Locked(value = "flaky", onContention = Locked.OnContention.SKIP, holdAtLeast = "1m", lease = "2m")
        public void tick() {
            if (failNext.getAndSet(false)) {
                throw new IllegalStateException("tick failed");
            }
            completedRuns.incrementAndGet();
        }

        @Locked(value = "flaky-async", holdAtLeast = "1m", lease = "2m")
        public CompletableFuture<Void> failAsync() {
            return CompletableFuture.failedFuture(new IllegalStateException("async tick failed"));
        }
    }

    @ApplicationScoped
    public static class WaitlessJob {
        private final AtomicInteger runs = new AtomicInteger();
        private final AtomicInteger throwingRuns = new AtomicInteger();

        public int runs() {
            return runs.get();
        }

        @Locked(value = "waitless", onContention = Locked.OnContention.SKIP, holdAtLeast = "3s")
        public void tick() {
            runs.incrementAndGet();
        }

        @Locked(value = "waitless-throw", holdAtLeast = "3s")
        public void tickOrThrow() {
            throwingRuns.incrementAndGet();
        }

        public int throwingRuns() {
            return throwingRuns.get();
        }
    }

    /** A timer whose {@code toString()} is {@code Object}'s, as a server's may be. */
    static final class TestTimer implements Timer {
        private final Serializable info;

        TestTimer(Serializable info) {
            this.info = info;
        }

        @Override
        public Serializable getInfo() {
            return info;
        }

        @Override
        public void cancel() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long getTimeRemaining() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Date getNextTimeout() {
            throw new UnsupportedOperationException();
        }

        @Override
        public ScheduleExpression getSchedule() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isPersistent() {
            return false;
        }

        @Override
        public boolean isCalendarTimer() {
            return true;
        }

        @Override
        public TimerHandle getHandle() {
            throw new UnsupportedOperationException();
        }
    }
}
