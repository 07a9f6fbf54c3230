package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.Locked;
import io.github.distributedmutex.testing.CdiContainers;
import io.github.distributedmutex.testing.CdiTest;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A {@code @Locked Uni} subscribed on a Vert.x context (as Quarkus subscribes on the request's duplicated context):
 * the method body, although it waited for the lock, and the item run on that same context, with its local data
 * (what Hibernate Reactive, Panache and Quarkus' request context rely on). The CDI request context of Weld SE, bound
 * to a thread, does not follow: only a Vert.x context does.
 */
@CdiTest(LockedUniOnVertxTest.Jobs.class)
class LockedUniOnVertxTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private static CdiContainers cdi;
    private static Jobs jobs;
    private static Adapter adapter;
    private static Vertx vertx;

    @BeforeAll
    static void select(CdiContainers started) {
        cdi = started;
        jobs = cdi.select(Jobs.class);
        adapter = cdi.select(Adapter.class);
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void theBodyAndTheItemRunOnTheSubscribersDuplicatedContextAfterWaitingForTheLock() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        String key = "uni-vertx:" + id;
        Context request = ((ContextInternal) vertx.getOrCreateContext()).duplicate();
        request.putLocal("tenant", "tenant-7");
        AtomicReference<Context> bodyContext = new AtomicReference<>();
        AtomicReference<Object> bodyTenant = new AtomicReference<>();
        AtomicReference<String> bodyThread = new AtomicReference<>();
        CompletableFuture<Context> itemContext = new CompletableFuture<>();
        CompletableFuture<String> item = new CompletableFuture<>();
        Supplier<Uni<String>> body = () -> {
            bodyContext.set(Vertx.currentContext());
            bodyTenant.set(Vertx.currentContext() == null ? null : Vertx.currentContext().getLocal("tenant"));
            bodyThread.set(Thread.currentThread().getName());
            return Uni.createFrom().item("done");
        };

        try (Lease holder = adapter.lock(key)) {
            request.runOnContext(ignored -> jobs.run(id, body).subscribe().with(value -> {
                itemContext.complete(Vertx.currentContext());
                item.complete(value);
            }, item::completeExceptionally));
            await("the subscription waits for the lock").atMost(TIMEOUT)
                    .until(() -> adapter.inspect(key).map(info -> info.waiters() == 1).orElse(false));
            assertThat(bodyThread.get()).as("the body waits").isNull();
        }

        assertThat(item.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("done");
        assertThat(bodyContext.get()).as("the body's Vert.x context (thread " + bodyThread.get() + ")")
                .isSameAs(request);
        assertThat(bodyTenant.get()).as("the request's local data in the body").isEqualTo("tenant-7");
        assertThat(itemContext.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("the item's Vert.x context")
                .isSameAs(request);
    }

    @Test
    void withoutAVertxContextTheBodyRunsAsBefore() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        AtomicReference<Context> bodyContext = new AtomicReference<>();
        String item = jobs.run(id, () -> {
            bodyContext.set(Vertx.currentContext());
            return Uni.createFrom().item("done");
        }).subscribeAsCompletionStage().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(item).isEqualTo("done");
        assertThat(bodyContext.get()).isNull();
    }

    @ApplicationScoped
    public static class Jobs {

        @Locked(value = "uni-vertx:{0}", maxWait = "30s")
        public Uni<String> run(String id, Supplier<Uni<String>> body) {
            return body.get();
        }
    }
}
