package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.internal.health.RedisReadinessCheck;
import io.github.distributedmutex.testing.CdiContainers;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.SlowTest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The MicroProfile Health readiness check, against a Redis server the test starts, kills, pauses and
 * restarts: UP while Redis answers and release notifications arrive, DOWN with a reason that carries
 * no credentials and no host while it does not (the details go to the log), UP again once Redis is
 * back, and never waiting longer than its bound ({@code distributedmutex.health.timeout}); checks
 * within that bound of the last result reuse it. Never a liveness check.
 */
class ReadinessCheckTest {

    private static final String PASSWORD = "s3cret-readiness";
    private static final Duration BOUND = Duration.ofSeconds(2);
    /** The longest one call may take: the bound, plus generous room for a loaded machine. */
    private static final Duration CALL_LIMIT = BOUND.plusSeconds(3);
    private static final Duration RECOVERY = Duration.ofSeconds(90);

    private RedisServerProcess server;
    private CdiContainers cdi;

    @AfterEach
    void stop() {
        if (cdi != null) {
            cdi.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    @SlowTest
    void downWhileRedisIsGoneOrStalledUpAgainWhenItIsBack() {
        server = RedisServerProcess.start();
        int port = server.port();
        requirePassword();
        cdi = CdiContainers.builder().redisAddress("redis://default:" + PASSWORD + "@127.0.0.1:" + port)
                .property("distributedmutex.health.timeout", "2s").start();
        HealthCheck check = cdi.select(HealthCheck.class, Readiness.Literal.INSTANCE);

        await().atMost(RECOVERY).until(() -> call(check).getStatus() == HealthCheckResponse.Status.UP);
        HealthCheckResponse up = call(check);
        assertThat(up.getName()).isEqualTo(RedisReadinessCheck.NAME);
        assertThat(up.getData()).get().satisfies(data -> assertThat(data).containsKey("checked"));

        server.kill();
        await().atMost(RECOVERY).until(() -> call(check).getStatus() == HealthCheckResponse.Status.DOWN);
        assertDownWithReason(call(check));

        server = RedisServerProcess.startOnPort(port);
        requirePassword();
        await().atMost(RECOVERY).until(() -> call(check).getStatus() == HealthCheckResponse.Status.UP);

        server.pause(); // a Redis that accepts connections and answers nothing: the call must not hang
        try {
            // the last UP is reused for at most the bound; then a probe finds Redis stalled, within the bound
            await().atMost(RECOVERY).until(() -> call(check).getStatus() == HealthCheckResponse.Status.DOWN);
            assertThat(reason(call(check))).isEqualTo("Redis did not answer within 2000 ms");
        } finally {
            server.resume();
        }
        await().atMost(RECOVERY).until(() -> call(check).getStatus() == HealthCheckResponse.Status.UP);
    }

    @Test
    void aReadinessCheckNeverALivenessCheck() {
        cdi = CdiContainers.builder().start();
        assertThat(cdi.instance(HealthCheck.class, Readiness.Literal.INSTANCE).isResolvable()).isTrue();
        assertThat(cdi.instance(HealthCheck.class, Liveness.Literal.INSTANCE).isUnsatisfied()).isTrue();
        HealthCheck check = cdi.select(HealthCheck.class, Readiness.Literal.INSTANCE);
        await().atMost(RECOVERY).until(() -> call(check).getStatus() == HealthCheckResponse.Status.UP);
    }

    /**
     * While the container shuts down, the adapter waits up to the shutdown grace for holders still running; a health
     * probe meanwhile answers DOWN at once, it does not wait for the shutdown.
     */
    @Test
    void duringShutdownItAnswersDownWithoutWaitingForTheShutdown() throws Exception {
        cdi = CdiContainers.builder().property("distributedmutex.shutdown-grace", "20s").start();
        HealthCheck check = cdi.select(HealthCheck.class, Readiness.Literal.INSTANCE);
        await().atMost(RECOVERY).until(() -> call(check).getStatus() == HealthCheckResponse.Status.UP);
        Lease held = cdi.select(Adapter.class).lock("still-running"); // its holder never ends: the grace is waited out
        CdiContainers closing = cdi;
        cdi = null;
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(closing::close);
        try {
            await().atMost(RECOVERY).until(() -> call(check).getStatus() == HealthCheckResponse.Status.DOWN);
            assertThat(shutdown).as("the shutdown, still waiting for the holder when the probe answered").isNotDone();
        } finally {
            held.close();
            shutdown.get(RECOVERY.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void switchedOffItReportsUpWithoutAskingRedis() {
        cdi = CdiContainers.builder().redisAddress("redis://127.0.0.1:" + RedisServerProcess.freePort())
                .property("distributedmutex.health.readiness", "false").start();
        HealthCheckResponse response = call(cdi.select(HealthCheck.class, Readiness.Literal.INSTANCE));
        assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
        assertThat(response.getData()).get().satisfies(data -> assertThat(data.get("checked"))
                .asString().contains("distributedmutex.health.readiness=false"));
    }

    @Test
    void downWithAGenericReasonWhileRedisWasNeverReachableTheDetailsInTheLog() {
        int port = RedisServerProcess.freePort();
        try (LogCapture logs = LogCapture.start()) {
            cdi = CdiContainers.builder().redisAddress("redis://default:" + PASSWORD + "@127.0.0.1:" + port).start();
            HealthCheck check = cdi.select(HealthCheck.class, Readiness.Literal.INSTANCE);
            // "last attempt" was where the connection failure, host and port included, used to be reported
            await().atMost(RECOVERY).until(() -> reason(call(check)).matches("(?s).*(not reachable|last attempt).*"));
            HealthCheckResponse down = call(check);
            assertDownWithReason(down);
            assertThat(reason(down)).as("the endpoint is unauthenticated").contains("Redis is not reachable")
                    .doesNotContain("127.0.0.1").doesNotContain(String.valueOf(port)).doesNotContain("Exception");
            assertThat(logs.lines("WARN")).as("the details go to the log")
                    .anyMatch(line -> line.contains("readiness: DOWN") && line.contains(String.valueOf(port)));
        }
    }

    @Test
    void checksWithinTheTimeoutShareOneProbe() {
        server = RedisServerProcess.start();
        cdi = CdiContainers.builder().redisAddress("redis://127.0.0.1:" + server.port())
                .property("distributedmutex.health.timeout", "3s").start();
        HealthCheck check = cdi.select(HealthCheck.class, Readiness.Literal.INSTANCE);
        await().atMost(RECOVERY).until(() -> call(check).getStatus() == HealthCheckResponse.Status.UP);
        RedisCommands.call(server.address(), "CONFIG", "RESETSTAT");
        // the first check after the last result expired probes Redis
        await().atMost(RECOVERY).until(() -> call(check) != null && publishes() == 1);
        for (int i = 0; i < 100; i++) {
            assertThat(call(check).getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
        }
        assertThat(publishes()).as("100 checks within the timeout reuse the last probe's result").isEqualTo(1);
        await().atMost(RECOVERY).until(() -> call(check) != null && publishes() == 2);
    }

    /** @return how many PUBLISH commands the test's Redis server ran since its statistics were reset */
    private long publishes() {
        return Arrays.stream(RedisCommands.call(server.address(), "INFO", "commandstats").split("\\R"))
                .filter(line -> line.startsWith("cmdstat_publish:")).findFirst()
                .map(line -> Long.parseLong(line.replaceAll("^cmdstat_publish:calls=(\\d+),.*$", "$1"))).orElse(0L);
    }

    private void requirePassword() {
        RedisCommands.call(server.address(), "ACL", "SETUSER", "default", "resetpass", ">" + PASSWORD);
    }

    /** One call of the check, which must return within {@link #CALL_LIMIT}. */
    private static HealthCheckResponse call(HealthCheck check) {
        long start = System.nanoTime();
        HealthCheckResponse response = check.call();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("one call of the readiness check")
                .isLessThan(CALL_LIMIT);
        return response;
    }

    private static String reason(HealthCheckResponse response) {
        Map<String, Object> data = response.getData().orElseThrow();
        return String.valueOf(data.getOrDefault("reason", ""));
    }

    private static void assertDownWithReason(HealthCheckResponse response) {
        assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
        assertThat(reason(response)).isNotBlank().doesNotContain(PASSWORD);
    }
}
