package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.DistributedMutexCdi;
import io.github.distributedmutex.Locked;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.se.SeContainer;
import jakarta.enterprise.inject.se.SeContainerInitializer;
import jakarta.enterprise.inject.spi.DefinitionException;
import jakarta.enterprise.inject.spi.DeploymentException;
import jakarta.interceptor.Interceptor;
import org.junit.jupiter.api.Test;

/**
 * {@link DistributedMutexCdi}, the public list of what a container without bean discovery needs.
 * Every container of the CDI tests is built from it ({@code CdiContainers}); this class pins the
 * list's own promises.
 */
class DistributedMutexCdiTest {

    @Test
    void theBeanClassesIncludeTheInterceptorAndAreAFreshArrayEachTime() {
        Class<?>[] beans = DistributedMutexCdi.beanClasses();
        assertThat(beans).contains(DistributedMutexCdi.interceptorClass()).doesNotHaveDuplicates();
        assertThat(DistributedMutexCdi.interceptorClass().isAnnotationPresent(Interceptor.class)).isTrue();

        beans[0] = null;
        assertThat(DistributedMutexCdi.beanClasses()).doesNotContainNull();
    }

    @Test
    void eachCallGivesANewPortableExtensionOfTheNamedClass() {
        assertThat(DistributedMutexCdi.portableExtension())
                .isInstanceOf(DistributedMutexCdi.portableExtensionClass())
                .isNotSameAs(DistributedMutexCdi.portableExtension());
    }

    @Test
    void theJavadocExampleRunsTheLibraryAndChecksTemplates() {
        // exactly the class Javadoc's SeContainerInitializer example, with nothing from the test fixtures
        try (SeContainer container = SeContainerInitializer.newInstance()
                .disableDiscovery()
                .addBeanClasses(BadTemplate.class)
                .addBeanClasses(DistributedMutexCdi.beanClasses())
                .addExtensions(DistributedMutexCdi.portableExtension())
                .initialize()) {
            assertThat(container.select(Adapter.class).isResolvable()).as("must not start").isFalse();
        } catch (DeploymentException | DefinitionException expected) {
            // the portable extension rejected the template: what the example promises
        }
    }

    @Dependent
    public static class BadTemplate {
        @Locked("job:{job}")
        public void process(long jobId) {
        }
    }
}
