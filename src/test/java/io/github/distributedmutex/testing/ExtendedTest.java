package io.github.distributedmutex.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a slow test class or method that plain {@code mvn verify} leaves out, so that it stays under 10 minutes on a
 * 2-core machine: it carries the JUnit tag {@value #TAG}, which the build excludes unless
 * {@code -Dtest.excludedGroups=} (empty) says otherwise. CI runs these tests in its second stage
 * ({@code mvn -Predis-suites test}, which excludes no tag), and {@code mvn verify -Dgroups=extended
 * -Dtest.excludedGroups=} runs only them. Use it for a variant of a scenario that plain {@code mvn verify} already
 * covers in another form (another fairness mode, more processes), not for a scenario no other test covers.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Tag(ExtendedTest.TAG)
public @interface ExtendedTest {

    /** The JUnit tag that {@code mvn verify} leaves out. */
    String TAG = "extended";
}
