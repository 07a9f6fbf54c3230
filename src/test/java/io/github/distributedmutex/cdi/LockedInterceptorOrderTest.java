package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.Locked;
import io.github.distributedmutex.testing.CdiContainers;
import io.github.distributedmutex.testing.CdiTest;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InterceptorBinding;
import jakarta.interceptor.InvocationContext;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code @Locked} interceptor (priority {@code PLATFORM_BEFORE + 100}) wraps a transaction
 * interceptor at {@code PLATFORM_BEFORE + 200}: the lock is in Redis when the transaction begins
 * and still there when it ends. Also: a type-level {@code @Locked} intercepts every business
 * method and a method-level one overrides its key.
 */
@CdiTest({LockedInterceptorOrderTest.Events.class, LockedInterceptorOrderTest.FakeTransactionInterceptor.class,
        LockedInterceptorOrderTest.EarlyInterceptor.class, LockedInterceptorOrderTest.Orders.class,
        LockedInterceptorOrderTest.TenantSettings.class})
class LockedInterceptorOrderTest {

    private static CdiContainers cdi;
    private static Events events;

    @BeforeAll
    static void select(CdiContainers started) {
        cdi = started;
        events = cdi.select(Events.class);
    }

    @BeforeEach
    void clear() {
        events.reset(key -> cdi.redisKeyExists(key));
    }

    @Test
    void theLockIsTakenBeforeTheTransactionBeginsAndReleasedAfterItEnds() {
        String id = unique();
        cdi.select(Orders.class).lockedAndTransactional(id);

        String key = "order:" + id;
        assertThat(events.list()).containsExactly(
                "tx-begin " + key + "=true",
                "body " + key + "=true",
                "tx-end " + key + "=true");
        assertThat(cdi.redisKeyExists(key)).isFalse();
    }

    @Test
    void controlTheProbeSeesNoLockOutsideTheLockInterceptor() {
        // an interceptor with a lower priority than the lock's runs outside it and must see no lock
        String id = unique();
        cdi.select(Orders.class).lockedAndEarly(id);

        String key = "order:" + id;
        assertThat(events.list()).containsExactly(
                "early-begin " + key + "=false",
                "body " + key + "=true",
                "early-end " + key + "=false");
    }

    @Test
    void controlWithoutLockedTheTransactionSeesNoLock() {
        String id = unique();
        cdi.select(Orders.class).transactionalOnly(id);

        String key = "order:" + id;
        assertThat(events.list()).containsExactly(
                "tx-begin " + key + "=false",
                "body " + key + "=false",
                "tx-end " + key + "=false");
    }

    @Test
    void aTypeLevelLockedInterceptsEveryBusinessMethod() {
        String tenant = unique();
        TenantSettings settings = cdi.select(TenantSettings.class);
        settings.update(tenant);
        settings.rename(tenant);

        assertThat(events.list()).containsExactly(
                "update tenant:" + tenant + "=true",
                "rename tenant:" + tenant + "=true");
        assertThat(cdi.redisKeys()).isEmpty();
    }

    @Test
    void aMethodLevelLockedOverridesTheTypeLevelKey() {
        String tenant = unique();
        cdi.select(TenantSettings.class).special(tenant);

        assertThat(events.list()).containsExactly(
                "special override:" + tenant + "=true",
                "special tenant:" + tenant + "=false");
        assertThat(cdi.redisKeys()).isEmpty();
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    // ---- bindings, interceptors and beans ----------------------------------------------------------

    /** Stands for {@code jakarta.transaction.Transactional}, whose interceptor runs at PLATFORM_BEFORE + 200. */
    @InterceptorBinding
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.METHOD, ElementType.TYPE})
    public @interface FakeTransactional {
    }

    /** An interceptor that runs before (outside) the lock's. */
    @InterceptorBinding
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.METHOD, ElementType.TYPE})
    public @interface Early {
    }

    /** Records what happened, and whether a lock's Redis key existed at each step. */
    @ApplicationScoped
    public static class Events {
        private final List<String> events = new ArrayList<>();
        private Predicate<String> keyExists = key -> false;

        synchronized void reset(Predicate<String> probe) {
            events.clear();
            keyExists = probe;
        }

        synchronized void record(String step, String key) {
            events.add(step + " " + key + "=" + keyExists.test(key));
        }

        synchronized List<String> list() {
            return List.copyOf(events);
        }
    }

    @FakeTransactional
    @Interceptor
    @Priority(Interceptor.Priority.PLATFORM_BEFORE + 200)
    public static class FakeTransactionInterceptor {
        @Inject
        Events events;

        @AroundInvoke
        public Object around(InvocationContext context) throws Exception {
            String key = "order:" + context.getParameters()[0];
            events.record("tx-begin", key);
            try {
                return context.proceed();
            } finally {
                events.record("tx-end", key);
            }
        }
    }

    @Early
    @Interceptor
    @Priority(Interceptor.Priority.PLATFORM_BEFORE)
    public static class EarlyInterceptor {
        @Inject
        Events events;

        @AroundInvoke
        public Object around(InvocationContext context) throws Exception {
            String key = "order:" + context.getParameters()[0];
            events.record("early-begin", key);
            try {
                return context.proceed();
            } finally {
                events.record("early-end", key);
            }
        }
    }

    @ApplicationScoped
    public static class Orders {
        @Inject
        Events events;

        @Locked("order:{0}")
        @FakeTransactional
        public void lockedAndTransactional(String id) {
            events.record("body", "order:" + id);
        }

        @Locked("order:{0}")
        @Early
        public void lockedAndEarly(String id) {
            events.record("body", "order:" + id);
        }

        @FakeTransactional
        public void transactionalOnly(String id) {
            events.record("body", "order:" + id);
        }
    }

    @ApplicationScoped
    @Locked("tenant:{0}")
    public static class TenantSettings {
        @Inject
        Events events;

        public void update(String tenant) {
            events.record("update", "tenant:" + tenant);
        }

        public void rename(String tenant) {
            events.record("rename", "tenant:" + tenant);
        }

        @Locked("override:{0}")
        public void special(String tenant) {
            events.record("special", "override:" + tenant);
            events.record("special", "tenant:" + tenant);
        }
    }
}
