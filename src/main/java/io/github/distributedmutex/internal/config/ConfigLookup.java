package io.github.distributedmutex.internal.config;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where configuration values come from: MicroProfile Config when its API and an implementation
 * are present (WildFly, Payara, Liberty, Quarkus, or an application that ships SmallRye Config),
 * otherwise system properties, then environment variables with MicroProfile's name mapping
 * ({@code distributedmutex.redis.address} is also looked up as
 * {@code distributedmutex_redis_address} and {@code DISTRIBUTEDMUTEX_REDIS_ADDRESS}).
 */
@FunctionalInterface
public interface ConfigLookup {

    /**
     * @param key a configuration key
     * @return its value, empty when not configured
     */
    Optional<String> get(String key);

    /** @return MicroProfile Config when usable, else system properties and environment */
    static ConfigLookup detect() {
        return MicroProfileConfigLookup.create().orElseGet(() -> systemPropertiesThenEnvironment(System.getenv()));
    }

    /**
     * @param environment the environment variables to consult after system properties
     * @return a lookup over system properties, then the given environment
     */
    static ConfigLookup systemPropertiesThenEnvironment(Map<String, String> environment) {
        return key -> Optional.ofNullable(System.getProperty(key))
                .or(() -> environmentValue(environment::get, key));
    }

    /**
     * MicroProfile Config's mapping of a property name to environment variable names: the exact
     * name, then non-alphanumerics replaced by {@code _}, then that in upper case.
     *
     * @param environment the environment
     * @param key         the property name
     * @return the first value found
     */
    static Optional<String> environmentValue(Function<String, String> environment, String key) {
        String sanitized = key.replaceAll("[^a-zA-Z0-9]", "_");
        for (String name : new String[] {key, sanitized, sanitized.toUpperCase(Locale.ROOT)}) {
            String value = environment.apply(name);
            if (value != null) {
                return Optional.of(value);
            }
        }
        return Optional.empty();
    }
}
