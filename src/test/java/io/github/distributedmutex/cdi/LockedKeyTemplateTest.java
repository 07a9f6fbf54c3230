package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.distributedmutex.Locked;
import io.github.distributedmutex.testing.CdiContainers;
import io.github.distributedmutex.testing.CdiTest;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.TestRedis;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code @Locked} key template, proven by the Redis key that exists while the method runs
 * ({@code <prefix>{key}}) and is gone afterwards.
 */
@CdiTest(LockedKeyTemplateTest.Jobs.class)
class LockedKeyTemplateTest {

    private static CdiContainers cdi;
    private static Jobs jobs;

    @BeforeAll
    static void select(CdiContainers started) {
        cdi = started;
        jobs = cdi.select(Jobs.class);
    }

    /** Runs {@code call} with a body that records which Redis keys exist while the method runs. */
    private static List<String> keysWhileRunning(String expectedKey, java.util.function.Consumer<Runnable> call) {
        List<String> seen = new ArrayList<>();
        AtomicBoolean ran = new AtomicBoolean();
        call.accept(() -> {
            ran.set(true);
            seen.addAll(cdi.redisKeys());
            assertThat(cdi.redisKeyExists(expectedKey)).as("Redis key of '%s' while the method runs", expectedKey)
                    .isTrue();
        });
        assertThat(ran).as("the method body ran").isTrue();
        assertThat(cdi.redisKeyExists(expectedKey)).as("Redis key of '%s' after the method returned", expectedKey)
                .isFalse();
        return seen;
    }

    @Test
    void placeholderByPosition() {
        String id = unique();
        assertThat(keysWhileRunning("job:" + id + ":a", inside -> jobs.byPosition("a", id, inside)))
                .containsExactly(cdi.redisKey("job:" + id + ":a"));
    }

    @Test
    void placeholderByParameterName() {
        long jobId = System.nanoTime();
        assertThat(keysWhileRunning("job:" + jobId, inside -> jobs.byName(jobId, inside)))
                .containsExactly(cdi.redisKey("job:" + jobId));
    }

    @Test
    void propertyThroughAGetter() {
        String id = unique();
        assertThat(keysWhileRunning("customer:" + id, inside -> jobs.byGetter(new Customer(id, null), inside)))
                .containsExactly(cdi.redisKey("customer:" + id));
    }

    @Test
    void propertyThroughABooleanIsGetter() {
        String id = unique();
        Customer customer = new Customer(id, null);
        assertThat(keysWhileRunning("vip:" + id + ":false", inside -> jobs.byIsGetter(customer, inside)))
                .containsExactly(cdi.redisKey("vip:" + id + ":false"));
    }

    @Test
    void propertyThroughARecordComponent() {
        String id = unique();
        assertThat(keysWhileRunning("order:" + id, inside -> jobs.byRecord(new Order(id, null), inside)))
                .containsExactly(cdi.redisKey("order:" + id));
    }

    @Test
    void chainedPropertiesThroughRecordsAndGetters() {
        String city = "city-" + unique();
        Order order = new Order("o-1", new Customer("c-1", new Address(city)));
        assertThat(keysWhileRunning("city:" + city, inside -> jobs.chained(order, inside)))
                .containsExactly(cdi.redisKey("city:" + city));
    }

    @Test
    void withoutTemplateTheKeyIsTheBeanClassAndMethodName() {
        String key = Jobs.class.getName() + ".noTemplate";
        assertThat(keysWhileRunning(key, jobs::noTemplate)).containsExactly(cdi.redisKey(key));
    }

    @Test
    void theConfiguredPrefixIsApplied() {
        String prefix = "custom-prefix-" + unique() + ":";
        String id = unique();
        try (CdiContainers custom = CdiContainers.builder().beans(Jobs.class).keyPrefix(prefix).start()) {
            assertThat(custom.keyPrefix()).isEqualTo(prefix);
            List<String> seen = new ArrayList<>();
            custom.select(Jobs.class).byPosition("a", id, () ->
                    seen.addAll(RedisCommands.callForList(TestRedis.address(), "KEYS", "*" + id + "*")));
            assertThat(seen).containsExactly(prefix + "{job:" + id + ":a}");
            assertThat(RedisCommands.callForList(TestRedis.address(), "KEYS", "*" + id + "*")).isEmpty();
        }
    }

    @Test
    void aNullParameterFailsTheCallBeforeTheBodyRuns() {
        AtomicBoolean ran = new AtomicBoolean();
        assertThatThrownBy(() -> jobs.byPosition("a", null, () -> ran.set(true)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("{1}");
        assertThat(ran).isFalse();
        assertThat(cdi.redisKeys()).isEmpty();
    }

    @Test
    void aNullPropertyFailsTheCallBeforeTheBodyRuns() {
        AtomicBoolean ran = new AtomicBoolean();
        assertThatThrownBy(() -> jobs.byGetter(new Customer(null, null), () -> ran.set(true)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("customer.id");
        assertThat(ran).isFalse();
    }

    @Test
    void aNullInTheMiddleOfAChainFailsTheCallBeforeTheBodyRuns() {
        AtomicBoolean ran = new AtomicBoolean();
        assertThatThrownBy(() -> jobs.chained(new Order("o-1", null), () -> ran.set(true)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("order.customer.address.city");
        assertThatThrownBy(() -> jobs.chained(new Order("o-1", new Customer("c", null)), () -> ran.set(true)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(ran).isFalse();
        assertThat(cdi.redisKeys()).isEmpty();
    }

    @Test
    void valuesWithAToStringOfTheirOwnMakeKeysThroughAnObjectParameter() {
        String id = unique();
        UUID uuid = UUID.randomUUID();
        assertThat(keysWhileRunning("object:Address[city=" + id + "]", inside -> jobs.byObject(new Address(id), inside)))
                .containsExactly(cdi.redisKey("object:Address[city=" + id + "]"));
        assertThat(keysWhileRunning("object:" + uuid, inside -> jobs.byObject(uuid, inside)))
                .containsExactly(cdi.redisKey("object:" + uuid));
        assertThat(keysWhileRunning("object:EXPRESS", inside -> jobs.byObject(Priority.EXPRESS, inside)))
                .containsExactly(cdi.redisKey("object:EXPRESS"));
        assertThat(keysWhileRunning("object:42", inside -> jobs.byObject(42L, inside)))
                .containsExactly(cdi.redisKey("object:42"));
        assertThat(keysWhileRunning("open:tenant-" + id,
                inside -> jobs.byOpenClass(new NamedTenant("tenant-" + id), inside)))
                .containsExactly(cdi.redisKey("open:tenant-" + id));
    }

    @Test
    void anObjectWithoutToStringFailsTheCallBeforeAnyLockIsTaken() {
        AtomicBoolean ran = new AtomicBoolean();
        assertThatThrownBy(() -> jobs.byObject(new OpenTenant(), () -> ran.set(true)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'object:{value}'")
                .hasMessageContaining("{value} is a " + OpenTenant.class.getName() + ", whose toString() is Object's");
        assertThatThrownBy(() -> jobs.byOpenClass(new OpenTenant(), () -> ran.set(true)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'open:{tenant}'")
                .hasMessageContaining("{tenant} is a " + OpenTenant.class.getName());
        assertThat(ran).as("the method ran").isFalse();
        assertThat(cdi.redisKeys()).as("Redis keys under the prefix").isEmpty();
    }

    @Test
    void anArrayThroughAnObjectParameterFailsTheCallBeforeAnyLockIsTaken() {
        AtomicBoolean ran = new AtomicBoolean();
        assertThatThrownBy(() -> jobs.byObject(new long[] {1, 2}, () -> ran.set(true)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'object:{value}'")
                .hasMessageContaining("{value} is a long[], whose toString() is Object's");
        assertThat(ran).as("the method ran").isFalse();
        assertThat(cdi.redisKeys()).as("Redis keys under the prefix").isEmpty();
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    // ---- the beans ---------------------------------------------------------------------------------

    public record Address(String city) {
    }

    /** A JavaBean: read through getters. */
    public static class Customer {
        private final String id;
        private final Address address;

        public Customer(String id, Address address) {
            this.id = id;
            this.address = address;
        }

        public String getId() {
            return id;
        }

        public Address getAddress() {
            return address;
        }

        public boolean isVip() {
            return false;
        }
    }

    public record Order(String id, Customer customer) {
    }

    public enum Priority { EXPRESS }

    /** Not final and without toString(): each instance renders as {@code OpenTenant@5e2de80c}. */
    public static class OpenTenant {
    }

    /** A subclass that does identify its value. */
    public static class NamedTenant extends OpenTenant {
        private final String name;

        public NamedTenant(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    @ApplicationScoped
    public static class Jobs {

        @Locked("job:{1}:{0}")
        public void byPosition(String first, String second, Runnable inside) {
            inside.run();
        }

        @Locked("job:{jobId}")
        public void byName(long jobId, Runnable inside) {
            inside.run();
        }

        @Locked("customer:{customer.id}")
        public void byGetter(Customer customer, Runnable inside) {
            inside.run();
        }

        @Locked("vip:{customer.id}:{customer.vip}")
        public void byIsGetter(Customer customer, Runnable inside) {
            inside.run();
        }

        @Locked("order:{order.id}")
        public void byRecord(Order order, Runnable inside) {
            inside.run();
        }

        @Locked("city:{order.customer.address.city}")
        public void chained(Order order, Runnable inside) {
            inside.run();
        }

        @Locked("object:{value}")
        public void byObject(Object value, Runnable inside) {
            inside.run();
        }

        @Locked("open:{tenant}")
        public void byOpenClass(OpenTenant tenant, Runnable inside) {
            inside.run();
        }

        @Locked
        public void noTemplate(Runnable inside) {
            inside.run();
        }
    }
}
