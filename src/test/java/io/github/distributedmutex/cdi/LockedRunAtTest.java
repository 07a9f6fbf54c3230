package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.Locked;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.CdiContainers;
import io.github.distributedmutex.testing.CdiTest;
import jakarta.enterprise.concurrent.Asynchronous;
import jakarta.enterprise.concurrent.Schedule;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code @Locked} on Jakarta Concurrency 3.1 {@code @Asynchronous(runAt = @Schedule(...))} methods returning a
 * stage. The container's asynchronous interceptor (priority {@code PLATFORM_BEFORE + 5} on Payara) runs before
 * {@code @Locked} and calls the rest of the chain at every scheduled time; it reads {@code null} from an execution
 * as "go on" and anything else as "the schedule is over". So a skipped execution must return {@code null}: a
 * completed stage would end the schedule of every instance that once lost the race.
 *
 * <p>Weld SE has no Concurrency implementation: {@code @Asynchronous} binds no interceptor here, so each call is
 * what one scheduled execution is on a server, the rest of the chain. That the container really calls
 * {@code @Locked} per execution, and that skips do not end the schedule, is proved on Payara Micro 7 by the
 * WildFly / Payara integration project.
 */
@CdiTest({LockedRunAtTest.RunAtJobs.class, LockedRunAtTest.TypeLevelRunAtJobs.class})
class LockedRunAtTest {

    private static CdiContainers cdi;
    private static Adapter adapter;

    @BeforeAll
    static void select(CdiContainers started) {
        cdi = started;
        adapter = cdi.select(Adapter.class);
    }

    @Test
    void aSkippedRunAtExecutionReturnsNullSoTheScheduleGoesOn() {
        RunAtJobs jobs = cdi.select(RunAtJobs.class);
        int runsBefore = jobs.runs();
        try (Lease otherInstance = adapter.lock("runat:future")) {
            assertThat(otherInstance.isHeld()).isTrue();
            assertThat(jobs.future()).as("skipped: null, the container's 'go on'").isNull();
            assertThat(jobs.stage()).as("skipped: null, the container's 'go on'").isNull();
        }
        assertThat(jobs.runs()).as("the skipped executions did not run").isEqualTo(runsBefore);
    }

    @Test
    void aRunAtExecutionThatReturnsNullReleasesItsLockAtOnce() {
        RunAtJobs jobs = cdi.select(RunAtJobs.class);
        assertThat(jobs.ranUnderLock()).as("null: go on with the schedule").isNull();
        assertThat(jobs.lockedInside()).as("the execution ran under its lock").isTrue();
        assertThat(cdi.redisKeyExists("runat:ran")).as("released when the execution returned null").isFalse();
    }

    @Test
    void aTypeLevelRunAtIsRecognisedAndAMethodLevelAsynchronousWithoutRunAtWins() throws Exception {
        TypeLevelRunAtJobs jobs = cdi.select(TypeLevelRunAtJobs.class);
        try (Lease otherInstance = adapter.lock("runat:type-level")) {
            assertThat(otherInstance.isHeld()).isTrue();
            assertThat(jobs.inherited()).as("the class's runAt applies: skipped is null").isNull();
            CompletableFuture<String> once = jobs.once();
            assertThat(once).as("@Asynchronous without runAt on the method: a one-off call, skipped is a completed stage")
                    .isNotNull();
            assertThat(once.get(30, TimeUnit.SECONDS)).isNull();
        }
    }

    @Test
    void aPlainAsynchronousMethodStillGetsACompletedStageWhenSkipped() throws Exception {
        RunAtJobs jobs = cdi.select(RunAtJobs.class);
        try (Lease otherInstance = adapter.lock("runat:once")) {
            assertThat(otherInstance.isHeld()).isTrue();
            CompletableFuture<String> once = jobs.once();
            assertThat(once).isNotNull();
            assertThat(once.get(30, TimeUnit.SECONDS)).isNull();
        }
    }

    @Test
    void anAsynchronousMethodsStageIsHandedBackUnchangedAndHoldsTheLockUntilItCompletes() {
        RunAtJobs jobs = cdi.select(RunAtJobs.class);
        CompletableFuture<String> work = new CompletableFuture<>();
        CompletableFuture<String> returned = jobs.handOver(work);
        assertThat(returned).as("the container completes the caller's future from this very stage").isSameAs(work);
        assertThat(cdi.redisKeyExists("runat:hand-over")).as("held while the stage runs").isTrue();
        work.complete("done");
        await().atMost(Duration.ofSeconds(20)).until(() -> !cdi.redisKeyExists("runat:hand-over"));
    }

    @Test
    void aCancelledStageKeepsTheMinimumHoldBecauseTheWorkMayStillRun() {
        RunAtJobs jobs = cdi.select(RunAtJobs.class);
        CompletableFuture<String> work = new CompletableFuture<>();
        CompletableFuture<String> returned = jobs.handOverWithHold(work);
        returned.cancel(true);
        await().atMost(Duration.ofSeconds(20)).until(() -> adapter.tryLock("runat:cancelled", Duration.ZERO)
                .map(lease -> {
                    lease.close();
                    return "free";
                }).isEmpty() && cdi.redisKeyExists("runat:cancelled"));
        assertThat(cdi.redisKeyExists("runat:cancelled")).as("released with its minimum hold, not freed at once")
                .isTrue();
    }

    @Test
    void aScheduledExecutionThatCannotReachRedisIsSkippedSoTheScheduleGoesOn() {
        try (CdiContainers noRedis = CdiContainers.builder().beans(RunAtJobs.class)
                .redisAddress("redis://127.0.0.1:" + RedisServerProcess.freePort()).start()) {
            RunAtJobs jobs = noRedis.select(RunAtJobs.class);
            assertThat(jobs.future()).as("skipped with a WARN: an exception would end the schedule").isNull();
            assertThat(jobs.voidTick()).isNull();
            assertThat(jobs.runs()).isZero();
            assertThatThrownBy(jobs::once).as("a one-off call fails as usual")
                    .isInstanceOf(LockUnavailableException.class);
        }
    }

    // ---- the beans ---------------------------------------------------------------------------------

    @ApplicationScoped
    public static class RunAtJobs {

        private final AtomicInteger runs = new AtomicInteger();
        private volatile boolean lockedInside;

        @Asynchronous(runAt = @Schedule(cron = "*/2 * * * * *"))
        @Locked(value = "runat:future", onContention = Locked.OnContention.SKIP, maxWait = "0s")
        public CompletableFuture<String> future() {
            runs.incrementAndGet();
            return null;
        }

        @Asynchronous(runAt = @Schedule(cron = "*/2 * * * * *"))
        @Locked(value = "runat:future", onContention = Locked.OnContention.SKIP, maxWait = "0s")
        public CompletionStage<String> stage() {
            runs.incrementAndGet();
            return null;
        }

        @Asynchronous(runAt = @Schedule(cron = "*/2 * * * * *"))
        @Locked(value = "runat:ran", onContention = Locked.OnContention.SKIP, maxWait = "0s")
        public CompletableFuture<String> ranUnderLock() {
            lockedInside = cdi.redisKeyExists("runat:ran");
            return null;
        }

        @Asynchronous
        @Locked(value = "runat:once", onContention = Locked.OnContention.SKIP, maxWait = "0s")
        public CompletableFuture<String> once() {
            runs.incrementAndGet();
            return CompletableFuture.completedFuture("ran");
        }

        @Asynchronous(runAt = @Schedule(cron = "*/2 * * * * *"))
        @Locked(value = "runat:void", onContention = Locked.OnContention.SKIP, maxWait = "0s")
        public Void voidTick() {
            runs.incrementAndGet();
            return null;
        }

        @Asynchronous
        @Locked(value = "runat:hand-over")
        public CompletableFuture<String> handOver(CompletableFuture<String> work) {
            return work;
        }

        @Asynchronous
        @Locked(value = "runat:cancelled", holdAtLeast = "30s", lease = "1m")
        public CompletableFuture<String> handOverWithHold(CompletableFuture<String> work) {
            return work;
        }

        int runs() {
            return runs.get();
        }

        boolean lockedInside() {
            return lockedInside;
        }
    }

    @ApplicationScoped
    @Asynchronous(runAt = @Schedule(cron = "0 0 * * * *"))
    public static class TypeLevelRunAtJobs {

        @Locked(value = "runat:type-level", onContention = Locked.OnContention.SKIP, maxWait = "0s")
        public CompletableFuture<String> inherited() {
            return null;
        }

        @Asynchronous
        @Locked(value = "runat:type-level", onContention = Locked.OnContention.SKIP, maxWait = "0s")
        public CompletableFuture<String> once() {
            return CompletableFuture.completedFuture("ran");
        }
    }
}
