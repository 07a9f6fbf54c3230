package io.github.distributedmutex.internal.config;

import java.util.Optional;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * A {@link ConfigLookup} over MicroProfile Config. Only loaded after the API was found on the
 * classpath, so the library runs without MicroProfile Config.
 */
final class MicroProfileConfigLookup implements ConfigLookup {

    private static final String API_CLASS = "org.eclipse.microprofile.config.ConfigProvider";

    private final Config config;

    private MicroProfileConfigLookup(Config config) {
        this.config = config;
    }

    /** @return a lookup over MicroProfile Config, empty when its API or an implementation is missing */
    static Optional<ConfigLookup> create() {
        if (!apiPresent()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new MicroProfileConfigLookup(ConfigProvider.getConfig()));
        } catch (IllegalStateException | LinkageError noImplementation) {
            // the API is there but no implementation registered itself
            return Optional.empty();
        }
    }

    private static boolean apiPresent() {
        for (ClassLoader loader : new ClassLoader[] {Thread.currentThread().getContextClassLoader(),
                MicroProfileConfigLookup.class.getClassLoader()}) {
            if (loader == null) {
                continue;
            }
            try {
                Class.forName(API_CLASS, false, loader);
                return true;
            } catch (ClassNotFoundException | LinkageError e) {
                // try the next loader
            }
        }
        return false;
    }

    @Override
    public Optional<String> get(String key) {
        return config.getOptionalValue(key, String.class);
    }
}
