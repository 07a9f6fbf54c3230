package io.github.distributedmutex.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/** Starts and closes the container of a {@link CdiTest} class, and hands it to the test's methods. */
final class CdiTestExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(CdiTest.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        Class<?> testClass = context.getRequiredTestClass();
        CdiTest annotation = testClass.getAnnotation(CdiTest.class);
        if (annotation == null) {
            throw new IllegalStateException(testClass.getName() + " must be annotated @CdiTest");
        }
        // the store closes it (CloseableResource) when the class's context ends, after @AfterAll
        context.getStore(NAMESPACE).put(testClass, new Started(CdiContainers.start(annotation.value())));
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == CdiContainers.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Started started = context.getStore(NAMESPACE).get(context.getRequiredTestClass(), Started.class);
        if (started == null) {
            throw new ParameterResolutionException("no @CdiTest container for " + context.getRequiredTestClass());
        }
        return started.containers();
    }

    /** The started container, closed by JUnit with the class's extension context. */
    private record Started(CdiContainers containers) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            containers.close();
        }
    }
}
