package io.github.distributedmutex.internal.redis;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.testing.PrefixingNameMapper;
import io.github.distributedmutex.testing.TestRedis;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * A client that renames keys with a {@code NameMapper}, set on the configuration or on its server
 * configuration (where Redisson also looks), is refused before any lock is taken.
 */
class NameMapperTest {

    static Stream<Arguments> mappedConfigurations() {
        Consumer<Config> topLevel = config -> config.setNameMapper(new PrefixingNameMapper());
        Consumer<Config> serverLevel = config -> config.useSingleServer().setNameMapper(new PrefixingNameMapper());
        return Stream.of(Arguments.of("on the configuration", topLevel),
                Arguments.of("on the server configuration", serverLevel));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mappedConfigurations")
    void aClientWithANameMapperIsRefused(String where, Consumer<Config> mapping) {
        Config config = new Config();
        config.useSingleServer().setAddress(TestRedis.address());
        mapping.accept(config);
        RedissonClient client = Redisson.create(config);
        try {
            Settings settings = Settings.defaults().withRedisAddress(TestRedis.address());
            assertThatThrownBy(() -> new RedisAdapter(client, settings, false))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessageContainingAll("NameMapper", PrefixingNameMapper.class.getName(), "distributedmutex.key-prefix");
        } finally {
            client.shutdown();
        }
    }
}
