package io.github.distributedmutex.testing;

import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.simple.SimpleServiceProvider;
import org.slf4j.spi.MDCAdapter;

/**
 * The tests' SLF4J provider: slf4j-simple (what {@link LogCapture} reads), but with SLF4J's
 * reference MDC, a thread-local map, instead of slf4j-simple's own, which ignores every
 * {@code MDC.put}. Real providers (Logback, Log4j 2, JBoss Logging) keep the MDC the same way, so
 * tests of the library's MDC see what an application would. Surefire selects it with the system
 * property {@code slf4j.provider} (pom.xml); JVMs the tests start use plain slf4j-simple.
 */
public class SimpleLoggingWithMdc extends SimpleServiceProvider {

    private final MDCAdapter mdc = new BasicMDCAdapter();

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }
}
