package io.github.distributedmutex.internal.config;

/**
 * Which optional APIs the application has, asked before any class that uses one is loaded: the
 * library's integrations with Micrometer, OpenTelemetry and MicroProfile Health live in their own
 * packages and are only touched after the answer was yes, so an application without these APIs
 * never loads them ({@code NoOptionalIntegrationsTest}).
 *
 * <p>The answer is the library's own class loader's: that is the loader that links the
 * integrations' references to the API, wherever the application's classes come from.
 */
public final class OptionalApis {

    /** Micrometer's {@code micrometer-core}. */
    public static final String MICROMETER = "io.micrometer.core.instrument.MeterRegistry";
    /** OpenTelemetry's {@code opentelemetry-api}. */
    public static final String OPENTELEMETRY = "io.opentelemetry.api.OpenTelemetry";
    /** MicroProfile Health's API. */
    public static final String MICROPROFILE_HEALTH = "org.eclipse.microprofile.health.HealthCheck";

    private OptionalApis() {
    }

    /**
     * @param className a class of the API
     * @return whether the library's class loader can load it (without initialising it)
     */
    public static boolean present(String className) {
        return load(className) != null;
    }

    /**
     * @param className a class of the API
     * @return the class as the library's class loader sees it, null when it cannot load it
     */
    public static Class<?> load(String className) {
        try {
            return Class.forName(className, false, OptionalApis.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError absent) {
            return null;
        }
    }
}
