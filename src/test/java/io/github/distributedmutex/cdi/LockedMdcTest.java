package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.Locked;
import io.github.distributedmutex.testing.CdiContainers;
import io.github.distributedmutex.testing.CdiTest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * While a {@code @Locked} method runs, the SLF4J MDC carries {@code distributedmutex.key} and
 * {@code distributedmutex.token}; afterwards the caller's values are back, also after nested calls,
 * exceptions and asynchronous methods (whose synchronous part runs with them).
 */
@CdiTest({LockedMdcTest.Jobs.class, LockedMdcTest.Inner.class})
class LockedMdcTest {

    private static final String KEY = "distributedmutex.key";
    private static final String TOKEN = "distributedmutex.token";

    private static Jobs jobs;
    private static Adapter adapter;

    @BeforeAll
    static void select(CdiContainers cdi) {
        jobs = cdi.select(Jobs.class);
        adapter = cdi.select(Adapter.class);
        await().atMost(Duration.ofSeconds(60)).ignoreException(LockUnavailableException.class)
                .until(() -> adapter.inspect("warm-up").isEmpty());
    }

    @AfterEach
    void clearMdc() {
        MDC.clear();
    }

    @Test
    void theMethodRunsWithTheKeyAndTokenAndTheCallersValuesComeBack() {
        String id = unique();
        MDC.put(KEY, "caller's key");
        List<String> seen = jobs.sees(id);
        assertThat(seen.get(0)).isEqualTo("job:" + id);
        assertThat(seen.get(1)).as("the token of the lock the thread holds").isEqualTo(seen.get(2)).isNotNull();
        assertThat(MDC.get(KEY)).isEqualTo("caller's key");
        assertThat(MDC.get(TOKEN)).as("unset before, unset after").isNull();
    }

    @Test
    void nestedLockedCallsRestoreTheirCallersValues() {
        String id = unique();
        List<String> seen = jobs.outer(id);
        assertThat(seen).hasSize(4);
        assertThat(seen.get(0)).as("inner key").isEqualTo("inner:" + id);
        assertThat(seen.get(2)).as("outer key after the inner call").isEqualTo("outer:" + id);
        assertThat(seen.get(1)).as("inner token").isNotEqualTo(seen.get(3)).isNotNull();
        assertThat(seen.get(3)).as("outer token after the inner call").isNotNull();
        assertThat(MDC.get(KEY)).isNull();
        assertThat(MDC.get(TOKEN)).isNull();
    }

    @Test
    void aReenteredKeyKeepsItsValues() {
        String id = unique();
        List<String> seen = jobs.reentered(id);
        assertThat(seen).containsExactly("job:" + id, seen.get(1), "job:" + id, seen.get(1));
        assertThat(MDC.get(KEY)).isNull();
    }

    @Test
    void anExceptionRestoresTheCallersValues() {
        MDC.put(KEY, "caller's key");
        MDC.put(TOKEN, "caller's token");
        assertThatThrownBy(() -> jobs.fails(unique())).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("job:");
        assertThat(MDC.get(KEY)).isEqualTo("caller's key");
        assertThat(MDC.get(TOKEN)).isEqualTo("caller's token");
    }

    @Test
    void aSkippedMethodLeavesTheMdcAlone() throws Exception {
        String id = unique();
        try (Lease busy = CompletableFuture.supplyAsync(() -> adapter.lock("job:" + id)).get(30, TimeUnit.SECONDS)) {
            MDC.put(KEY, "caller's key");
            assertThat(jobs.skipped(id)).isEmpty();
            assertThat(MDC.get(KEY)).isEqualTo("caller's key");
            assertThat(MDC.get(TOKEN)).isNull();
        }
    }

    /** The MDC is thread-bound: the asynchronous method's body runs with it; the caller's values are back at once. */
    @Test
    void anAsynchronousMethodsBodyRunsWithItAndTheCallerGetsItsValuesBack() throws Exception {
        String id = unique();
        CompletableFuture<String> work = new CompletableFuture<>();
        List<String> seen = new ArrayList<>();
        CompletableFuture<String> result = jobs.async(id, work, seen);
        assertThat(seen.get(0)).isEqualTo("job:" + id);
        assertThat(seen.get(1)).isNotNull();
        assertThat(MDC.get(KEY)).as("on the caller's thread, while the stage is pending").isNull();
        work.complete("done");
        assertThat(result.get(30, TimeUnit.SECONDS)).isEqualTo("done");
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    // ---- the beans ---------------------------------------------------------------------------------

    @ApplicationScoped
    public static class Jobs {

        @Inject
        Adapter adapter;

        @Inject
        Inner inner;

        @Locked("job:{id}")
        public List<String> sees(String id) {
            return Arrays.asList(MDC.get(KEY), MDC.get(TOKEN),
                    Long.toString(adapter.fencingToken("job:" + id).orElseThrow()));
        }

        @Locked("outer:{id}")
        public List<String> outer(String id) {
            List<String> seen = new ArrayList<>(inner.inner(id));
            seen.add(MDC.get(KEY));
            seen.add(MDC.get(TOKEN));
            return seen;
        }

        @Locked("job:{id}")
        public List<String> reentered(String id) {
            List<String> seen = new ArrayList<>(inner.sameKey(id));
            seen.add(MDC.get(KEY));
            seen.add(MDC.get(TOKEN));
            return seen;
        }

        @Locked("job:{id}")
        public void fails(String id) {
            throw new IllegalStateException(MDC.get(KEY));
        }

        @Locked(value = "job:{id}", maxWait = "0s", onContention = Locked.OnContention.SKIP)
        public Optional<String> skipped(String id) {
            return Optional.of(MDC.get(KEY));
        }

        @Locked("job:{id}")
        public CompletableFuture<String> async(String id, CompletableFuture<String> work, List<String> seen) {
            seen.add(MDC.get(KEY));
            seen.add(MDC.get(TOKEN));
            return work;
        }
    }

    @ApplicationScoped
    public static class Inner {

        @Locked("inner:{id}")
        public List<String> inner(String id) {
            return Arrays.asList(MDC.get(KEY), MDC.get(TOKEN));
        }

        @Locked("job:{id}")
        public List<String> sameKey(String id) {
            return Arrays.asList(MDC.get(KEY), MDC.get(TOKEN));
        }
    }
}
