package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.internal.config.CredentialMasking;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.config.SettingsReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.BaseConfig;
import org.redisson.config.Config;
import org.redisson.config.DefaultNameMapper;
import org.redisson.config.NameMapper;

/**
 * Builds the library's private Redisson client when the application has none: from the Redisson
 * YAML file of {@code distributedmutex.redis.config-file} when set (any topology), else a single
 * server at {@code distributedmutex.redis.address}. The client is created in the background by
 * {@link RedisConnection}, so the application starts even when Redis is down.
 */
public final class RedissonClientFactory {

    private RedissonClientFactory() {
    }

    /**
     * @param settings the validated settings
     * @return a connection that creates the client in the background and owns it
     * @throws IllegalArgumentException when the YAML file cannot be read or parsed (the message
     *                                  names the key and the file, never credentials)
     */
    public static RedisConnection connect(Settings settings) {
        Config config = settings.redisConfigFile().map(file -> {
            Config fromFile = fromYaml(file);
            requireNoNameMapper(fromFile, SettingsReader.REDIS_CONFIG_FILE + "=" + file);
            return fromFile;
        }).orElseGet(() -> {
            Config single = new Config();
            single.useSingleServer().setAddress(settings.redisAddress());
            return single;
        });
        // eager: the connection retries creation itself (see RedisConnection for why not lazily)
        config.setLazyInitialization(false);
        String description = settings.redisConfigFile().map(file -> "the servers of " + file)
                .orElseGet(() -> CredentialMasking.maskUri(settings.redisAddress()));
        return RedisConnection.connecting(() -> Redisson.create(config), description);
    }

    /**
     * The library's scripts name their keys and their release channel themselves, so a
     * {@code NameMapper} that renames keys would map some names and not others (keys passed to a
     * script, not the channel a script publishes on): refused.
     *
     * @param client an application's client
     * @return the client
     * @throws IllegalArgumentException when its configuration has a {@code NameMapper} other than the default
     */
    public static RedissonClient requireNoNameMapper(RedissonClient client) {
        // the effective mapper: Redisson falls back to a server configuration's mapper (YAML or code)
        NameMapper mapper = client instanceof Redisson redisson ? redisson.getServiceManager().getNameMapper()
                : client.getConfig().getNameMapper();
        requireDefault(mapper, "the application's RedissonClient");
        return client;
    }

    private static void requireNoNameMapper(Config config, String source) {
        requireDefault(config.getNameMapper(), source);
        BaseConfig<?> servers = config.isClusterConfig() ? config.useClusterServers()
                : config.isSentinelConfig() ? config.useSentinelServers()
                : config.isSingleConfig() ? config.useSingleServer() : null;
        if (servers != null) {
            requireDefault(servers.getNameMapper(), source);
        }
    }

    private static void requireDefault(NameMapper mapper, String source) {
        if (mapper != null && !(mapper instanceof DefaultNameMapper)) {
            throw new IllegalArgumentException("distributed-mutex cannot use " + source + ": its configuration sets a"
                    + " NameMapper (" + mapper.getClass().getName() + "), which would rename some of the lock's Redis"
                    + " names and not others (the release channel a script publishes on), so waiters would never be"
                    + " woken. Remove the NameMapper from that configuration, or give the library a client of its own"
                    + "; use " + SettingsReader.KEY_PREFIX + " to keep lock keys apart");
        }
    }

    private static Config fromYaml(Path file) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return Config.fromYAML(reader);
        } catch (IOException e) {
            throw new IllegalArgumentException("Invalid configuration " + SettingsReader.REDIS_CONFIG_FILE + "=" + file
                    + ": the file cannot be read (" + e.getClass().getSimpleName() + ")");
        } catch (RuntimeException e) {
            // the parser's message may quote the file's content, passwords included: leave it out
            throw new IllegalArgumentException("Invalid configuration " + SettingsReader.REDIS_CONFIG_FILE + "=" + file
                    + ": not a valid Redisson YAML configuration (" + e.getClass().getSimpleName()
                    + "); check its syntax against the Redisson documentation");
        }
    }
}
