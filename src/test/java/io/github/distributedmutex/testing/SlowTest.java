package io.github.distributedmutex.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a test class or test method as slow: it breaks Redis on purpose or builds a Redis topology (fault
 * suite, outages, Sentinel, Cluster, TLS, ACL), runs extra JVMs (multi-JVM fault tests, correctness
 * checker, demo), or takes more than about 10 seconds on a 2-core machine. It carries the JUnit tag
 * {@value #TAG}. Where only some methods of a class are slow, only those carry it.
 *
 * <p>{@code mvn verify} runs every test; {@code mvn -Pquick verify} leaves out the tests with this tag
 * (surefire's {@code excludedGroups}), for a check in about a minute. A test that becomes slow gets this
 * annotation; nothing else changes.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Tag(SlowTest.TAG)
public @interface SlowTest {

    /** The JUnit tag: {@code -Pquick} excludes it, {@code -Dgroups=slow} runs only these classes. */
    String TAG = "slow";
}
