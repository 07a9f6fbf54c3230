package io.github.distributedmutex.it.quarkus;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.LockInfo;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code @Locked} on a method returning a Mutiny {@code Uni}, behind a reactive Quarkus REST endpoint that runs on
 * the Vert.x event loop (one event loop for the whole application, {@code application.properties}): requests for
 * one key never overlap, a request waiting for the lock leaves the event loop free, and a request whose client
 * hangs up while its {@code Uni} holds the lock releases it, and one that hangs up while it waits gives up its wait
 * and never runs. Every subscription runs the method again (ArC's
 * {@code InvocationContext.proceed()} called after the interceptor returned, and more than once). The method body, also
 * of a request that waited for the lock, runs on the request's Vert.x duplicated context with its request context.
 */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
class ReactiveLockedOnQuarkusTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /**
     * A free event loop answers at once; shorter than the lock's 30 s wait, so that an event loop blocked by the
     * waiting request fails here, not when that wait gives up.
     */
    private static final Duration PING_TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(TIMEOUT).build();

    @TestHTTPResource("/reactive")
    URI reactive;

    @Inject
    ReactiveRuns runs;

    @Inject
    Adapter adapter;

    @Inject
    ReactiveJobs jobs;

    @Test
    void requestsForOneKeyNeverOverlapAndAWaitingRequestLeavesTheEventLoopFree() throws Exception {
        String name = unique();
        String key = "reactive:" + name;

        CompletableFuture<HttpResponse<String>> first = request(name, "first");
        await("first request inside").atMost(TIMEOUT).until(() -> runs.entered("first-" + name));
        CompletableFuture<HttpResponse<String>> second = request(name, "second");
        await("second request waiting for the lock").atMost(TIMEOUT).until(() -> waiters(key) == 1);
        assertFalse(runs.entered("second-" + name), "the second request must wait for the lock");

        // the application's only event loop subscribed the waiting request, and still serves others
        HttpResponse<String> ping = get("ping", PING_TIMEOUT).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertEquals("pong", ping.body());
        assertEquals(Boolean.TRUE, runs.subscribedOnEventLoop("first-" + name), "subscribed on the event loop");
        assertEquals(Boolean.TRUE, runs.subscribedOnEventLoop("second-" + name), "subscribed on the event loop");

        runs.gate("first-" + name).complete("first done");
        assertEquals("first done", first.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).body());
        await("second request inside").atMost(TIMEOUT).until(() -> runs.entered("second-" + name));
        runs.gate("second-" + name).complete("second done");
        HttpResponse<String> secondResponse = second.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(200, secondResponse.statusCode(), secondResponse.body());
        assertEquals("second done", secondResponse.body());

        // the second request waited for the lock (on the library's threads), yet its body ran on its own request's
        // Vert.x duplicated context, with its request context (Hibernate Reactive, Panache and @RequestScoped need it)
        for (String run : new String[] {"first-" + name, "second-" + name}) {
            assertEquals(Boolean.TRUE, runs.bodyOnDuplicatedContext(run), "body of " + run + " on a duplicated context");
            assertEquals(run, runs.bodyRequestTag(run), "request-scoped bean in the body of " + run);
        }
        assertEquals(1, runs.mostInside(name), "requests inside at the same time");
        assertTrue(adapter.inspect(key).isEmpty(), "released after the last request");
    }

    @Test
    void aRequestWhoseClientHangsUpReleasesTheLock() throws Exception {
        String name = unique();
        String key = "reactive:" + name;
        try (Socket socket = new Socket(reactive.getHost(), reactive.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + reactive.getPath() + "/" + name + "/gone-" + name + " HTTP/1.1\r\nHost: "
                    + reactive.getHost() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            await("the request holds the lock").atMost(TIMEOUT).until(() -> runs.entered("gone-" + name));
            assertTrue(adapter.inspect(key).isPresent(), "held while the request is open");
        }
        await("the request's Uni cancelled").atMost(TIMEOUT).until(() -> runs.cancelled("gone-" + name));
        await("the lock released").atMost(TIMEOUT).until(() -> adapter.inspect(key).isEmpty());

        CompletableFuture<HttpResponse<String>> next = request(name, "next");
        await("the next request inside").atMost(TIMEOUT).until(() -> runs.entered("next-" + name));
        runs.gate("next-" + name).complete("next done");
        assertEquals("next done", next.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).body());
        assertFalse(runs.gate("gone-" + name).isDone(), "the hung-up request never completed");
    }

    @Test
    void aRequestWhoseClientHangsUpWhileItWaitsGivesUpItsWaitAndNeverRuns() throws Exception {
        String name = unique();
        String key = "reactive:" + name;
        CompletableFuture<HttpResponse<String>> holder = request(name, "holder");
        await("the holder inside").atMost(TIMEOUT).until(() -> runs.entered("holder-" + name));
        try (Socket socket = new Socket(reactive.getHost(), reactive.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + reactive.getPath() + "/" + name + "/waiting-" + name + " HTTP/1.1\r\nHost: "
                    + reactive.getHost() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            await("the second request waits for the lock").atMost(TIMEOUT).until(() -> waiters(key) == 1);
        }
        await("the hung-up request's wait given up").atMost(TIMEOUT).until(() -> waiters(key) == 0);
        runs.gate("holder-" + name).complete("holder done");
        assertEquals("holder done", holder.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).body());
        await("the lock released, and nobody took it").atMost(TIMEOUT).until(() -> adapter.inspect(key).isEmpty());
        assertFalse(runs.entered("waiting-" + name), "the hung-up request's method never ran");
    }

    @Test
    void everySubscriptionLocksAgainAndRunsTheMethodAgain() {
        String name = unique();
        String run = "again-" + name;
        runs.gate(run).complete("done");
        Uni<String> uni = jobs.hold(name, run);
        assertEquals(0, runs.entries(run), "nothing runs before the subscription");

        assertEquals("done", uni.await().atMost(TIMEOUT));
        assertEquals("done", uni.await().atMost(TIMEOUT));

        assertEquals(2, runs.entries(run), "runs of the method body");
        assertTrue(adapter.inspect("reactive:" + name).isEmpty(), "released");
    }

    /** Starts {@code GET /reactive/<name>/<run>-<name>}: run ids are unique per test. */
    private CompletableFuture<HttpResponse<String>> request(String name, String run) {
        return get(name + "/" + run + "-" + name, TIMEOUT);
    }

    private CompletableFuture<HttpResponse<String>> get(String path, Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(reactive + "/" + path)).timeout(timeout).GET().build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    private int waiters(String key) {
        return adapter.inspect(key).map(LockInfo::waiters).orElse(0);
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
