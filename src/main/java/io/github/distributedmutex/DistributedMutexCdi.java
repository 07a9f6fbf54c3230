package io.github.distributedmutex;

import io.github.distributedmutex.internal.cdi.AdapterProducer;
import io.github.distributedmutex.internal.cdi.LockedBuildCompatibleExtension;
import io.github.distributedmutex.internal.cdi.LockedInterceptor;
import io.github.distributedmutex.internal.cdi.LockedMethodRegistry;
import io.github.distributedmutex.internal.cdi.LockedPortableExtension;
import jakarta.enterprise.inject.build.compatible.spi.BuildCompatibleExtension;
import jakarta.enterprise.inject.spi.Extension;

/**
 * What to add to a CDI container that is started <em>without bean discovery</em>, so that it runs
 * this library: {@code SeContainerInitializer.disableDiscovery()}, Weld SE's
 * {@code new Weld().disableDiscovery()}, weld-junit's {@code WeldInitiator}, and the like.
 *
 * <p>With bean discovery on (every Jakarta EE server, Quarkus, an SE container that scans its
 * classpath) none of this is needed: the library's own {@code META-INF/beans.xml} and
 * {@code META-INF/services} entries register everything. Without discovery the container holds
 * only what it is given, and Weld then also ignores the extensions listed in
 * {@code META-INF/services}: add {@link #beanClasses()} and {@link #portableExtension()}, or
 * {@code Adapter} cannot be injected, {@code @Locked} is not applied, or {@code @Locked} templates
 * are not checked at startup.
 *
 * <pre>{@code
 * // CDI SE (any implementation)
 * try (SeContainer container = SeContainerInitializer.newInstance()
 *         .disableDiscovery()
 *         .addBeanClasses(JobProcessor.class)
 *         .addBeanClasses(DistributedMutexCdi.beanClasses())
 *         .addExtensions(DistributedMutexCdi.portableExtension())
 *         .initialize()) {
 *     container.select(JobProcessor.class).get().process(42);
 * }
 *
 * // Weld SE
 * try (WeldContainer container = new Weld()
 *         .disableDiscovery()
 *         .addBeanClasses(JobProcessor.class)
 *         .addBeanClasses(DistributedMutexCdi.beanClasses())
 *         .addExtension(DistributedMutexCdi.portableExtension())
 *         .initialize()) {
 *     container.select(JobProcessor.class).get().process(42);
 * }
 * }</pre>
 *
 * <p>The classes returned here are the library's internal classes; they may be renamed or
 * replaced in any release, and this class keeps returning what is needed. Use it rather than
 * naming them.
 */
public final class DistributedMutexCdi {

    private DistributedMutexCdi() {
    }

    /**
     * The library's bean classes, for {@code addBeanClasses(...)}: the producer of the
     * {@code @ApplicationScoped} {@link Adapter}, the registry of validated {@link Locked @Locked}
     * methods, and the {@code @Locked} interceptor ({@link #interceptorClass()}; it is enabled by
     * its {@code @Priority}, so no {@code beans.xml} entry and no separate enabling call is needed).
     *
     * @return a new array with these classes
     */
    public static Class<?>[] beanClasses() {
        return new Class<?>[] {AdapterProducer.class, LockedMethodRegistry.class, LockedInterceptor.class};
    }

    /**
     * The {@link Locked @Locked} interceptor class, for APIs that take interceptors apart from other
     * beans. It is already among {@link #beanClasses()}.
     *
     * @return the interceptor class, enabled globally at priority
     *         {@code Interceptor.Priority.PLATFORM_BEFORE + 100}
     */
    public static Class<?> interceptorClass() {
        return LockedInterceptor.class;
    }

    /**
     * A new instance of the portable extension (CDI Full: Weld, OpenWebBeans) that checks every
     * {@link Locked @Locked} method when the container starts and fails the start, naming the
     * method, for a template that cannot be resolved, and adds the library's MicroProfile Health
     * readiness check when the MP Health API is present. Give each container its own instance.
     *
     * @return a new portable extension, for {@code addExtensions(...)} / {@code addExtension(...)}
     */
    public static Extension portableExtension() {
        return new LockedPortableExtension();
    }

    /**
     * The class of the portable extension that {@link #portableExtension()} instantiates, for APIs
     * that take extension classes.
     *
     * @return the portable extension's class
     */
    public static Class<? extends Extension> portableExtensionClass() {
        return LockedPortableExtension.class;
    }

    /**
     * The build compatible extension (CDI Lite) that does the same checks at build time. Quarkus
     * and other CDI Lite implementations find it through {@code META-INF/services}; this is for a
     * CDI Lite container that takes build compatible extensions by class. It is annotated
     * {@code @SkipIfPortableExtensionPresent}: on CDI Full, add {@link #portableExtension()}
     * instead (Weld drops this one whether or not the portable extension is there).
     *
     * @return the build compatible extension's class
     */
    public static Class<? extends BuildCompatibleExtension> buildCompatibleExtensionClass() {
        return LockedBuildCompatibleExtension.class;
    }
}
