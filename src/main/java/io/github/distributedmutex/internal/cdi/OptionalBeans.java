package io.github.distributedmutex.internal.cdi;

import io.github.distributedmutex.internal.config.OptionalApis;
import java.util.ArrayList;
import java.util.List;

/**
 * The library's beans that exist only when an optional API is present, named rather than referred
 * to, so that the extensions that add them never load them otherwise: the MicroProfile Health
 * readiness check ({@code internal/health}). The portable extension adds them in
 * {@code BeforeBeanDiscovery}, the build compatible extension in {@code @Discovery}.
 */
final class OptionalBeans {

    /** The readiness check, a bean when the MicroProfile Health API is present. */
    static final String READINESS_CHECK = "io.github.distributedmutex.internal.health.RedisReadinessCheck";

    private OptionalBeans() {
    }

    /** @return the names of the optional bean classes whose API is present now */
    static List<String> present() {
        List<String> classes = new ArrayList<>();
        if (OptionalApis.present(OptionalApis.MICROPROFILE_HEALTH)) {
            classes.add(READINESS_CHECK);
        }
        return classes;
    }
}
