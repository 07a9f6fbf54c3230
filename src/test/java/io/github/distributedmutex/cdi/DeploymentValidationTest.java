package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.distributedmutex.Locked;
import io.github.distributedmutex.testing.CdiContainers;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.operators.AbstractMulti;
import io.smallrye.mutiny.operators.AbstractUni;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.spi.DefinitionException;
import jakarta.enterprise.inject.spi.DeploymentException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.SubmissionPublisher;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;

/**
 * A {@code @Locked} method that cannot be honoured fails the deployment (through the portable
 * extension) with a definition or deployment error that names the method and the problem. Each
 * bad bean is its own class, so each container deploys exactly one problem.
 */
class DeploymentValidationTest {

    static Stream<Arguments> badBeans() {
        return Stream.of(
                Arguments.of(UnknownParameterName.class, "UnknownParameterName#process(long)",
                        "unknown parameter 'job'"),
                Arguments.of(IndexOutOfRange.class, "IndexOutOfRange#process(long, String)", "{2}"),
                Arguments.of(MissingProperty.class, "MissingProperty#ship(Order)", "'missing'"),
                Arguments.of(MissingNestedProperty.class, "MissingNestedProperty#ship(Order)", "'zip'"),
                Arguments.of(OpenBrace.class, "OpenBrace#process(long)", "'{' without '}'"),
                Arguments.of(CloseBrace.class, "CloseBrace#process(long)", "'}' without '{'"),
                Arguments.of(InvalidMaxWait.class, "InvalidMaxWait#process(long)", "'5 seconds' is not a valid duration"),
                Arguments.of(ZeroLease.class, "ZeroLease#process(long)", "lease '0s'"),
                Arguments.of(SubMillisecondLease.class, "SubMillisecondLease#process(long)",
                        "lease 'PT0.0005S': lease must be at least 1 ms"),
                Arguments.of(SkipOnInt.class, "SkipOnInt#count(long)", "returns int"),
                Arguments.of(StageSubtype.class, "StageSubtype#start(long)", MyFuture.class.getName()),
                Arguments.of(TypeLevelTemplateNotResolvable.class, "TypeLevelTemplateNotResolvable#noArguments()",
                        "{0}"),
                Arguments.of(ArrayInKey.class, "ArrayInKey#process(long[])",
                        "{ids} is a long[], whose toString() is Object's"),
                Arguments.of(FinalClassWithoutToStringInKey.class,
                        "FinalClassWithoutToStringInKey#update(SealedTenant)",
                        "{tenant} is a " + SealedTenant.class.getName() + ", whose toString() is Object's"),
                Arguments.of(ArrayAtTheEndOfAPath.class, "ArrayAtTheEndOfAPath#ship(Shipment)",
                        "{shipment.parcels} is a java.lang.String[], whose toString() is Object's"),
                Arguments.of(ReturnsFuture.class, "ReturnsFuture#start(long)",
                        "returns java.util.concurrent.Future, which is not supported yet"),
                Arguments.of(ReturnsFutureTask.class, "ReturnsFutureTask#start(long)",
                        "returns java.util.concurrent.FutureTask (a subtype of java.util.concurrent.Future), which is not supported yet"),
                Arguments.of(ReturnsFlowPublisher.class, "ReturnsFlowPublisher#stream(long)",
                        "returns java.util.concurrent.Flow$Publisher, which is not supported yet"),
                Arguments.of(ReturnsReactiveStreamsPublisher.class, "ReturnsReactiveStreamsPublisher#stream(long)",
                        "returns org.reactivestreams.Publisher, which is not supported yet"),
                Arguments.of(ReturnsPublisherImplementation.class, "ReturnsPublisherImplementation#stream(long)",
                        "LazyPipeline (a subtype of org.reactivestreams.Publisher), which is not supported yet"),
                Arguments.of(ReturnsMulti.class, "ReturnsMulti#stream(long)",
                        "returns io.smallrye.mutiny.Multi, which is not supported yet"),
                Arguments.of(ReturnsMultiImplementation.class, "ReturnsMultiImplementation#stream(long)",
                        "returns io.smallrye.mutiny.operators.AbstractMulti (a subtype of io.smallrye.mutiny.Multi),"
                                + " which is not supported yet"),
                Arguments.of(ReturnsUniImplementation.class, "ReturnsUniImplementation#start(long)",
                        "returns io.smallrye.mutiny.operators.AbstractUni (a subtype of io.smallrye.mutiny.Uni); @Locked"
                                + " methods returning a Uni must declare io.smallrye.mutiny.Uni"),
                Arguments.of(AsynchronousUni.class, "AsynchronousUni#start(long)",
                        "returns io.smallrye.mutiny.Uni and is a Jakarta Concurrency @Asynchronous method"),
                Arguments.of(TimerInKey.class, "TimerInKey#tick(Timer)",
                        "{timer} is a jakarta.ejb.Timer, whose toString() is the server's own"),
                Arguments.of(TimerByPositionInKey.class, "TimerByPositionInKey#tick(Timer)",
                        "{0} is a jakarta.ejb.Timer"),
                Arguments.of(TimerHandleInKey.class, "TimerHandleInKey#tick(Timer)",
                        "{timer.handle} is a jakarta.ejb.TimerHandle"),
                Arguments.of(PrivateScheduleUnderTypeLevelLocked.class,
                        "PrivateScheduleUnderTypeLevelLocked#tick()", "private or static EJB timeout method"),
                Arguments.of(HoldAtLeastOverLease.class, "HoldAtLeastOverLease#tick()",
                        "holdAtLeast PT1M must not exceed the lease (lease PT30S)"),
                Arguments.of(HoldAtLeastNotADuration.class, "HoldAtLeastNotADuration#tick()",
                        "holdAtLeast 'soon'"),
                Arguments.of(RunAtWithThrow.class, "RunAtWithThrow#tick()", "use onContention = SKIP"),
                Arguments.of(HoldAtLeastSubMillisecond.class, "HoldAtLeastSubMillisecond#tick()",
                        "holdAtLeast 'PT0.0005S': holdAtLeast must be at least 1 ms"),
                Arguments.of(ValueAndKeys.class, "ValueAndKeys#transfer(long, long)",
                        "it sets both value = 'account:{from}' and keys"),
                Arguments.of(BlankKeyTemplate.class, "BlankKeyTemplate#transfer(long, long)", "keys[1] is blank"),
                Arguments.of(DuplicateKeyTemplates.class, "DuplicateKeyTemplates#transfer(long, long)",
                        "keys has the template 'account:{from}' twice"),
                Arguments.of(UnresolvableSecondKeyTemplate.class, "UnresolvableSecondKeyTemplate#transfer(long, long)",
                        "unknown parameter 'target'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badBeans")
    void aBadLockedMethodFailsTheDeploymentNamingTheMethodAndTheProblem(Class<?> badBean, String method,
                                                                        String problem) {
        Throwable failure = catchThrowable(() -> {
            try (CdiContainers ignored = CdiContainers.start(badBean)) {
                // must not get here
            }
        });

        assertThat(failure).as("the container must not start with %s", badBean.getSimpleName()).isNotNull();
        Throwable cdiError = Failures.firstOf(failure, DefinitionException.class, DeploymentException.class);
        assertThat(cdiError).as("a DefinitionException or DeploymentException in %s", Failures.messages(failure))
                .isNotNull();
        String messages = Failures.messages(failure);
        assertThat(messages)
                .contains(DeploymentValidationTest.class.getName() + "$" + method)
                .contains(problem);
    }

    @Test
    void aBeanUsingEveryValidFormDeploysAndRuns() {
        try (CdiContainers cdi = CdiContainers.start(AllValid.class)) {
            AllValid bean = cdi.select(AllValid.class);
            assertThat(bean.process(7, "x", new Order("o-1", new Address("1000")))).isEqualTo("ran");
            assertThat(bean.count(1)).isEqualTo(1);
            assertThat(bean.maybe(1)).contains("ran");
            assertThat(bean.stage(1).toCompletableFuture().join()).isEqualTo("ran");
            assertThat(bean.future(1).join()).isEqualTo("ran");
            assertThat(bean.uni(1).await().atMost(Duration.ofSeconds(30))).isEqualTo("ran");
            assertThat(bean.defaultKey()).isEqualTo("ran");
            assertThat(cdi.redisKeys()).isEmpty();
        }
    }

    @Test
    void aLockedMethodImplementingAGenericInterfaceMethodDeploysAndLocks() {
        // javac adds a bridge method handle(Object) that carries the annotation too; it is not what CDI
        // intercepts, and its erased parameter type has no property 'id'
        try (CdiContainers cdi = CdiContainers.start(JobHandler.class)) {
            Handler<Job> handler = cdi.select(JobHandler.class);
            String id = "generic-" + System.nanoTime();
            assertThat(handler.handle(new Job(id), () -> cdi.redisKeyExists("job:" + id))).isTrue();
            assertThat(cdi.redisKeyExists("job:" + id)).isFalse();
        }
    }

    @Test
    void aTypeLevelTemplateIsNotCheckedAgainstLifecycleCallbacks() {
        // @PostConstruct methods are not business methods: no @AroundInvoke interceptor ever runs on them
        try (CdiContainers cdi = CdiContainers.start(TypeLevelWithPostConstruct.class)) {
            TypeLevelWithPostConstruct bean = cdi.select(TypeLevelWithPostConstruct.class);
            String tenant = "tenant-" + System.nanoTime();
            assertThat(bean.update(tenant, () -> cdi.redisKeyExists("tenant:" + tenant)))
                    .isEqualTo("initialized=true locked=true");
        }
    }

    // ---- the beans ---------------------------------------------------------------------------------

    public record Address(String zipCode) {
    }

    public record Order(String id, Address address) {
    }

    public static class MyFuture<T> extends CompletableFuture<T> {
    }

    @Dependent
    public static class UnknownParameterName {
        @Locked("job:{job}")
        public void process(long jobId) {
        }
    }

    @Dependent
    public static class IndexOutOfRange {
        @Locked("job:{0}:{2}")
        public void process(long jobId, String tenant) {
        }
    }

    @Dependent
    public static class MissingProperty {
        @Locked("order:{order.missing}")
        public void ship(Order order) {
        }
    }

    @Dependent
    public static class MissingNestedProperty {
        @Locked("order:{order.address.zip}")
        public void ship(Order order) {
        }
    }

    @Dependent
    public static class OpenBrace {
        @Locked("job:{jobId")
        public void process(long jobId) {
        }
    }

    @Dependent
    public static class CloseBrace {
        @Locked("job:jobId}")
        public void process(long jobId) {
        }
    }

    @Dependent
    public static class InvalidMaxWait {
        @Locked(value = "job:{jobId}", maxWait = "5 seconds")
        public void process(long jobId) {
        }
    }

    @Dependent
    public static class TimerInKey {
        @jakarta.ejb.Schedule(second = "*/2", minute = "*", hour = "*", persistent = false)
        @Locked(value = "tick:{timer}", onContention = Locked.OnContention.SKIP)
        public void tick(jakarta.ejb.Timer timer) {
        }
    }

    @Dependent
    public static class TimerByPositionInKey {
        @jakarta.ejb.Timeout
        @Locked("tick:{0}")
        public void tick(jakarta.ejb.Timer timer) {
        }
    }

    @Dependent
    public static class TimerHandleInKey {
        @jakarta.ejb.Timeout
        @Locked("tick:{timer.handle}")
        public void tick(jakarta.ejb.Timer timer) {
        }
    }

    @Dependent
    @Locked(onContention = Locked.OnContention.SKIP)
    public static class PrivateScheduleUnderTypeLevelLocked {
        @jakarta.ejb.Schedule(second = "*/2", minute = "*", hour = "*", persistent = false)
        private void tick() {
        }
    }

    @Dependent
    public static class HoldAtLeastOverLease {
        @Locked(value = "tick", lease = "30s", holdAtLeast = "1m")
        public void tick() {
        }
    }

    @Dependent
    public static class HoldAtLeastNotADuration {
        @Locked(value = "tick", holdAtLeast = "soon")
        public void tick() {
        }
    }

    @Dependent
    public static class RunAtWithThrow {
        @jakarta.enterprise.concurrent.Asynchronous(runAt = @jakarta.enterprise.concurrent.Schedule(cron = "0 * * * * *"))
        @Locked("tick")
        public void tick() {
        }
    }

    @Dependent
    public static class HoldAtLeastSubMillisecond {
        @Locked(value = "tick", holdAtLeast = "PT0.0005S")
        public void tick() {
        }
    }

    @Dependent
    public static class ZeroLease {
        @Locked(value = "job:{jobId}", lease = "0s")
        public void process(long jobId) {
        }
    }

    @Dependent
    public static class SubMillisecondLease {
        @Locked(value = "job:{jobId}", lease = "PT0.0005S")
        public void process(long jobId) {
        }
    }

    @Dependent
    public static class SkipOnInt {
        @Locked(value = "count:{0}", onContention = Locked.OnContention.SKIP)
        public int count(long id) {
            return 1;
        }
    }

    @Dependent
    public static class StageSubtype {
        @Locked("job:{0}")
        public MyFuture<String> start(long id) {
            return new MyFuture<>();
        }
    }

    @Dependent
    @Locked("tenant:{0}")
    public static class TypeLevelTemplateNotResolvable {
        public void noArguments() {
        }
    }

    @Dependent
    public static class ArrayInKey {
        @Locked("batch:{ids}")
        public void process(long[] ids) {
        }
    }

    /** Final, and without toString(): every instance renders as {@code SealedTenant@1b6d3586}. */
    public static final class SealedTenant {
        public String getId() {
            return "t-1";
        }
    }

    @Dependent
    public static class FinalClassWithoutToStringInKey {
        @Locked("tenant:{tenant}")
        public void update(SealedTenant tenant) {
        }
    }

    public record Shipment(String id, String[] parcels) {
    }

    @Dependent
    public static class ArrayAtTheEndOfAPath {
        @Locked("shipment:{shipment.parcels}")
        public void ship(Shipment shipment) {
        }
    }

    @Dependent
    public static class ReturnsFuture {
        @Locked("job:{0}")
        public Future<String> start(long id) {
            return CompletableFuture.completedFuture("ran");
        }
    }

    @Dependent
    public static class ReturnsFutureTask {
        @Locked("job:{0}")
        public FutureTask<String> start(long id) {
            return new FutureTask<>(() -> "ran");
        }
    }

    @Dependent
    public static class ReturnsFlowPublisher {
        @Locked("job:{0}")
        public Flow.Publisher<String> stream(long id) {
            return new SubmissionPublisher<>();
        }
    }

    @Dependent
    public static class ReturnsReactiveStreamsPublisher {
        @Locked("job:{0}")
        public Publisher<String> stream(long id) {
            return subscriber -> subscriber.onComplete();
        }
    }

    @Dependent
    public static class ReturnsMulti {
        @Locked("job:{0}")
        public Multi<String> stream(long id) {
            return Multi.createFrom().empty();
        }
    }

    @Dependent
    public static class ReturnsMultiImplementation {
        @Locked("job:{0}")
        public AbstractMulti<String> stream(long id) {
            return null;
        }
    }

    /** Only {@code Uni} itself: the interceptor hands back a {@code Uni} of its own, not the declared subtype. */
    @Dependent
    public static class ReturnsUniImplementation {
        @Locked("job:{0}")
        public AbstractUni<String> start(long id) {
            return null;
        }
    }

    @Dependent
    public static class AsynchronousUni {
        @jakarta.enterprise.concurrent.Asynchronous
        @Locked("job:{0}")
        public Uni<String> start(long id) {
            return Uni.createFrom().item("ran");
        }
    }

    /** A lazy pipeline like Reactor's {@code Mono}: runs only when subscribed, after the method returned. */
    public static class LazyPipeline implements Publisher<String> {
        @Override
        public void subscribe(Subscriber<? super String> subscriber) {
            subscriber.onComplete();
        }
    }

    @Dependent
    public static class ReturnsPublisherImplementation {
        @Locked("job:{0}")
        public LazyPipeline stream(long id) {
            return new LazyPipeline();
        }
    }

    public interface Handler<T> {
        boolean handle(T item, BooleanSupplier probe);
    }

    public record Job(String id) {
    }

    @ApplicationScoped
    public static class JobHandler implements Handler<Job> {
        @Override
        @Locked("job:{job.id}")
        public boolean handle(Job job, BooleanSupplier probe) {
            return probe.getAsBoolean();
        }
    }

    @ApplicationScoped
    @Locked("tenant:{0}")
    public static class TypeLevelWithPostConstruct {
        private boolean initialized;

        @PostConstruct
        void init() {
            initialized = true;
        }

        public String update(String tenant, BooleanSupplier probe) {
            return "initialized=" + initialized + " locked=" + probe.getAsBoolean();
        }
    }

    @ApplicationScoped
    public static class AllValid {
        @Locked(value = "job:{0}:{tenant}:{order.id}:{order.address.zipCode}", maxWait = "PT1S", lease = "30s",
                watchdog = true)
        public String process(long jobId, String tenant, Order order) {
            return "ran";
        }

        @Locked(value = "count:{0}", maxWait = "250ms")
        public int count(long id) {
            return 1;
        }

        @Locked(value = "maybe:{0}", onContention = Locked.OnContention.SKIP, maxWait = "0s")
        public Optional<String> maybe(long id) {
            return Optional.of("ran");
        }

        @Locked(value = "stage:{0}", onContention = Locked.OnContention.SKIP)
        public CompletionStage<String> stage(long id) {
            return CompletableFuture.completedFuture("ran");
        }

        @Locked(value = "future:{0}", maxWait = "1m")
        public CompletableFuture<String> future(long id) {
            return CompletableFuture.completedFuture("ran");
        }

        @Locked(value = "uni:{0}", onContention = Locked.OnContention.SKIP)
        public Uni<String> uni(long id) {
            return Uni.createFrom().item("ran");
        }

        @Locked
        public String defaultKey() {
            return "ran";
        }
    }

    @Dependent
    public static class ValueAndKeys {
        @Locked(value = "account:{from}", keys = {"account:{from}", "account:{to}"})
        public void transfer(long from, long to) {
        }
    }

    @Dependent
    public static class BlankKeyTemplate {
        @Locked(keys = {"account:{from}", " "})
        public void transfer(long from, long to) {
        }
    }

    @Dependent
    public static class DuplicateKeyTemplates {
        @Locked(keys = {"account:{from}", "account:{to}", "account:{from}"})
        public void transfer(long from, long to) {
        }
    }

    @Dependent
    public static class UnresolvableSecondKeyTemplate {
        @Locked(keys = {"account:{from}", "account:{target}"})
        public void transfer(long from, long to) {
        }
    }
}
