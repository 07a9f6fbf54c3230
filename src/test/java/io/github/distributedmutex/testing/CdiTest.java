package io.github.distributedmutex.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One CDI container for a whole test class, with the library and the given beans, against the
 * test Redis: started before the class's {@code @BeforeAll} methods and closed after its
 * {@code @AfterAll} methods. {@code @BeforeAll}, {@code @Test} and lifecycle methods receive it as
 * a {@link CdiContainers} parameter (as SmallRye Fault Tolerance's test annotations bundle their
 * Weld setup).
 *
 * <pre>{@code
 * @CdiTest(Jobs.class)
 * class JobsTest {
 *     @Test
 *     void runs(CdiContainers cdi) {
 *         cdi.select(Jobs.class).run();
 *     }
 * }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith(CdiTestExtension.class)
public @interface CdiTest {

    /** @return the test's bean classes (interceptors and producers included) */
    Class<?>[] value();
}
