package io.github.distributedmutex.it.quarkus;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.distributedmutex.testing.RedisServerProcess;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * The library's operations integrations on Quarkus, over HTTP as a monitoring system sees them: with
 * quarkus-smallrye-health, the readiness report {@code /q/health/ready} has the {@code distributed-mutex}
 * check, UP, DOWN (503) while Redis does not answer and UP again after; with quarkus-micrometer-registry-prometheus, {@code /q/metrics} has the acquire-duration
 * histogram of a {@code @Locked} method after a call, under its template (never the raw key).
 */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
class OperationsOnQuarkusTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    @TestHTTPResource("/q/health/ready")
    URI readiness;

    @TestHTTPResource("/q/metrics")
    URI metrics;

    @Inject
    JobProcessor processor;

    @Test
    void theReadinessReportHasTheDistributedMutexCheckUp() throws Exception {
        // the check waits at most 2 s for Redis: on a busy machine, the very first connection can take longer
        HttpResponse<String> response = await("distributed-mutex readiness UP").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1)).until(() -> get(readiness), r -> r.statusCode() == 200);
        System.out.println("[OperationsOnQuarkusTest] " + readiness + " answered " + response.statusCode() + ": "
                + response.body().replaceAll("\\s+", " "));
        JsonObject check = distributedMutexCheck(response.body());
        assertEquals("UP", check.getString("status"), response.body());
        assertTrue(check.getJsonObject("data").containsKey("checked"), response.body());
        assertEquals(200, response.statusCode(), response.body());
    }

    @Test
    void theReadinessCheckIsDownWhileRedisDoesNotAnswerAndUpAgainAfter() throws Exception {
        RedisServerProcess redis = RedisTestResource.server();
        assertNotNull(redis, "REDIS_URL is set: this test pauses the Redis the test resource starts itself;"
                + " run the integration test without REDIS_URL");
        await("distributed-mutex readiness UP").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
                .until(() -> get(readiness), r -> r.statusCode() == 200);
        HttpResponse<String> down;
        redis.pause(); // SIGSTOP: connections stay open, nothing answers
        try {
            down = await("distributed-mutex readiness DOWN").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofSeconds(1)).until(() -> get(readiness), r -> r.statusCode() == 503);
        } finally {
            redis.resume();
        }
        System.out.println("[OperationsOnQuarkusTest] with Redis paused, " + readiness + " answered "
                + down.statusCode() + ": " + down.body().replaceAll("\\s+", " "));
        JsonObject check = distributedMutexCheck(down.body());
        assertEquals("DOWN", check.getString("status"), down.body());
        assertFalse(down.body().contains(Integer.toString(redis.port())), "the report names Redis's port: "
                + down.body());
        await("distributed-mutex readiness UP again").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1)).until(() -> get(readiness), r -> r.statusCode() == 200);
    }

    /** @return the {@code distributed-mutex} check of a health report */
    private static JsonObject distributedMutexCheck(String body) {
        JsonObject report;
        try (JsonReader reader = Json.createReader(new StringReader(body))) {
            report = reader.readObject();
        }
        List<JsonObject> checks = report.getJsonArray("checks").getValuesAs(JsonObject.class).stream()
                .filter(check -> check.getString("name").equals("distributed-mutex")).toList();
        assertEquals(1, checks.size(), "one distributed-mutex check in " + body);
        return checks.get(0);
    }

    @Test
    void theMetricsEndpointHasTheAcquireDurationOfALockedCall() throws Exception {
        long jobId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        processor.process(jobId, () -> { });
        String body = get(metrics).body();
        List<String> lines = body.lines().filter(line -> line.startsWith("distributedmutex_")).toList();
        System.out.println("[OperationsOnQuarkusTest] " + metrics + " distributedmutex_ series: " + lines.size()
                + ", for example " + lines.stream().filter(line -> line.contains("acquire_duration_seconds_count")
                        && line.contains("job:{jobId}") && line.contains("\"acquired\"")).findFirst().orElse("none"));
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("distributedmutex_lock_acquire_duration_seconds_count{")
                        && line.contains("distributedmutex_lock_name=\"job:{jobId}\"")
                        && line.contains("distributedmutex_lock_acquire_outcome=\"acquired\"")),
                "no acquired count for job:{jobId} in " + lines);
        assertTrue(lines.stream().noneMatch(line -> line.contains(Long.toString(jobId))),
                "a series carries the raw job id " + jobId + ": " + lines);
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        return client.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
