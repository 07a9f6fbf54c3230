package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.distributedmutex.DistributedMutexCdi;
import io.github.distributedmutex.Locked;
import io.github.distributedmutex.internal.cdi.LockedBuildCompatibleExtension;
import io.github.distributedmutex.internal.health.RedisReadinessCheck;
import io.github.distributedmutex.testing.CdiContainers;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.build.compatible.spi.BeanInfo;
import jakarta.enterprise.inject.build.compatible.spi.BuildCompatibleExtension;
import jakarta.enterprise.inject.build.compatible.spi.Discovery;
import jakarta.enterprise.inject.build.compatible.spi.Messages;
import jakarta.enterprise.inject.build.compatible.spi.Registration;
import jakarta.enterprise.inject.build.compatible.spi.ScannedClasses;
import jakarta.enterprise.inject.build.compatible.spi.SkipIfPortableExtensionPresent;
import jakarta.enterprise.inject.spi.DefinitionException;
import jakarta.enterprise.inject.spi.DeploymentException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.weld.lite.extension.translator.LiteExtensionTranslator;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;

/**
 * The build compatible extension's validation, run on Weld through
 * {@link LiteExtensionTranslator}, WITHOUT the portable extension: a bad template fails the
 * deployment naming the method.
 *
 * <p>Weld-specific by nature (the translator is Weld's; this class does not run on OpenWebBeans,
 * which runs no build compatible extension). Weld's translator drops every BCE class
 * that carries {@link SkipIfPortableExtensionPresent}, without looking whether that portable
 * extension is registered (see {@link #weldDropsTheShippedExtensionBecauseOfSkipIfPortableExtensionPresent()}),
 * so the shipped {@link LockedBuildCompatibleExtension} itself never runs on Weld. The test
 * therefore runs {@link UnskippedLockedBce}: a subclass without that annotation whose only method
 * delegates to the shipped {@code validate}, i.e. the very validation logic Quarkus runs.
 */
class BuildCompatibleExtensionOnWeldTest {

    /** The shipped BCE's validation, minus the {@code @SkipIfPortableExtensionPresent} Weld cannot honour. */
    public static class UnskippedLockedBce extends LockedBuildCompatibleExtension {
        static final AtomicInteger CALLS = new AtomicInteger();

        @Override
        @Registration(types = Object.class)
        public void validate(BeanInfo bean, Messages messages) {
            CALLS.incrementAndGet();
            super.validate(bean, messages);
        }

        @Override
        @Discovery
        public void addOptionalBeans(ScannedClasses classes) {
            super.addOptionalBeans(classes);
        }
    }

    private static LiteExtensionTranslator translator(List<Class<? extends BuildCompatibleExtension>> extensions) {
        return new LiteExtensionTranslator(extensions, Thread.currentThread().getContextClassLoader());
    }

    @Test
    void theBceValidationFailsTheDeploymentOfABadTemplateNamingTheMethod() {
        UnskippedLockedBce.CALLS.set(0);
        Throwable failure = catchThrowable(() -> {
            try (CdiContainers ignored = CdiContainers.builder().beans(BadTemplate.class)
                    .withoutPortableExtension()
                    .extensions(translator(List.of(UnskippedLockedBce.class)))
                    .start()) {
                // must not get here
            }
        });

        assertThat(failure).as("the container must not start").isNotNull();
        assertThat(Failures.firstOf(failure, DeploymentException.class, DefinitionException.class))
                .as("a DeploymentException or DefinitionException in %s", Failures.messages(failure)).isNotNull();
        assertThat(Failures.messages(failure))
                .contains(BadTemplate.class.getName() + "#process(long)")
                .contains("unknown parameter 'job'");
        assertThat(UnskippedLockedBce.CALLS).as("the BCE was called").hasPositiveValue();
    }

    @Test
    void theBceValidationFailsTheDeploymentOfALazyAsynchronousReturnType() {
        UnskippedLockedBce.CALLS.set(0);
        Throwable failure = catchThrowable(() -> {
            try (CdiContainers ignored = CdiContainers.builder().beans(LazyResult.class)
                    .withoutPortableExtension()
                    .extensions(translator(List.of(UnskippedLockedBce.class)))
                    .start()) {
                // must not get here
            }
        });

        assertThat(failure).as("the container must not start").isNotNull();
        assertThat(Failures.messages(failure))
                .contains(LazyResult.class.getName() + "#stream(long)")
                .contains("returns org.reactivestreams.Publisher, which is not supported yet");
        assertThat(UnskippedLockedBce.CALLS).as("the BCE was called").hasPositiveValue();
    }

    @Test
    void theBceValidationLetsAValidBeanDeploy() {
        UnskippedLockedBce.CALLS.set(0);
        try (CdiContainers cdi = CdiContainers.builder().beans(GoodTemplate.class)
                .withoutPortableExtension()
                .extensions(translator(List.of(UnskippedLockedBce.class)))
                .start()) {
            assertThat(cdi.select(GoodTemplate.class).process(42)).isEqualTo("ran");
        }
        assertThat(UnskippedLockedBce.CALLS).as("the BCE was called").hasPositiveValue();
    }

    /** As on Quarkus, where only the build compatible extension runs: the readiness check is added in {@code @Discovery}. */
    @Test
    void theBceAddsTheReadinessCheckWhenMicroProfileHealthIsPresent() {
        try (CdiContainers cdi = CdiContainers.builder().beans(GoodTemplate.class)
                .withoutPortableExtension()
                .extensions(translator(List.of(UnskippedLockedBce.class)))
                .start()) {
            assertThat(cdi.instance(HealthCheck.class, Readiness.Literal.INSTANCE).isResolvable()).isTrue();
            assertThat(cdi.select(HealthCheck.class, Readiness.Literal.INSTANCE).call().getName())
                    .isEqualTo(RedisReadinessCheck.NAME);
        }
    }

    @Test
    void weldDropsTheShippedExtensionBecauseOfSkipIfPortableExtensionPresent() {
        // Documents the Weld behaviour that makes the subclass above necessary: given the shipped BCE
        // and no portable extension, Weld runs no validation at all and the bad bean deploys.
        Class<? extends BuildCompatibleExtension> shipped = DistributedMutexCdi.buildCompatibleExtensionClass();
        assertThat(shipped).isEqualTo(LockedBuildCompatibleExtension.class);
        assertThat(shipped.isAnnotationPresent(SkipIfPortableExtensionPresent.class))
                .isTrue();
        try (CdiContainers cdi = CdiContainers.builder().beans(BadTemplate.class)
                .withoutPortableExtension()
                .extensions(translator(List.of(shipped)))
                .start()) {
            assertThat(cdi.container().isRunning()).isTrue();
        }
    }

    @Test
    void withDiscoveryDisabledWeldLoadsNoExtensionFromServicesFiles() {
        // Documents why CdiContainers adds the portable extension explicitly: without it, the bad bean
        // deploys, so every failure in DeploymentValidationTest comes from the library's validation.
        try (CdiContainers cdi = CdiContainers.builder().beans(BadTemplate.class).withoutPortableExtension().start()) {
            assertThat(cdi.container().isRunning()).isTrue();
        }
    }

    @Dependent
    public static class BadTemplate {
        @Locked("job:{job}")
        public void process(long jobId) {
        }
    }

    @Dependent
    public static class LazyResult {
        @Locked("job:{0}")
        public Publisher<String> stream(long jobId) {
            return subscriber -> subscriber.onComplete();
        }
    }

    @ApplicationScoped
    public static class GoodTemplate {
        @Locked("job:{jobId}")
        public String process(long jobId) {
            return "ran";
        }
    }
}
