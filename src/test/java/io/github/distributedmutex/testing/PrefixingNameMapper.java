package io.github.distributedmutex.testing;

import org.redisson.config.NameMapper;

/** A Redisson {@link NameMapper} that prefixes every Redis name: the kind the library must refuse. */
public final class PrefixingNameMapper implements NameMapper {

    private static final String PREFIX = "mapped:";

    @Override
    public String map(String name) {
        return PREFIX + name;
    }

    @Override
    public String unmap(String name) {
        return name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
    }
}
