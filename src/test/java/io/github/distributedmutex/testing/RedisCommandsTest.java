package io.github.distributedmutex.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proves that {@link RedisCommands} encodes commands and decodes every RESP reply type against a real server.
 */
class RedisCommandsTest {

    private static RedisServerProcess server;

    @BeforeAll
    static void startServer() {
        server = RedisServerProcess.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void decodesSimpleStringsBulkStringsAndNulls() {
        String address = server.address();

        assertThat(RedisCommands.call(address, "SET", "text key", "a value with spaces, ünïcödé")).isEqualTo("OK");
        assertThat(RedisCommands.call(address, "GET", "text key")).isEqualTo("a value with spaces, ünïcödé");
        assertThat(RedisCommands.call(address, "SET", "empty", "")).isEqualTo("OK");
        assertThat(RedisCommands.call(address, "GET", "empty")).isEmpty();
        assertThat(RedisCommands.call(address, "GET", "missing")).isNull();
    }

    @Test
    void decodesIntegersAndArrays() {
        String address = server.address();

        assertThat(RedisCommands.call(address, "RPUSH", "list", "a", "b", "c")).isEqualTo("3");
        assertThat(RedisCommands.callForList(address, "LRANGE", "list", "0", "-1")).containsExactly("a", "b", "c");
        assertThat(RedisCommands.call(address, "LRANGE", "list", "0", "-1")).isEqualTo("[a, b, c]");
        assertThat(RedisCommands.callForList(address, "KEYS", "list")).containsExactly("list");
        assertThat(RedisCommands.callForList(address, "KEYS", "no-such-*")).isEmpty();
        assertThat(RedisCommands.callForLong(address, "INCRBY", "counter", "41")).isEqualTo(41L);
    }

    @Test
    void reportsTimeToLive() {
        String address = server.address();

        assertThat(RedisCommands.call(address, "SET", "expiring", "v", "PX", "60000")).isEqualTo("OK");
        assertThat(RedisCommands.callForLong(address, "PTTL", "expiring")).isBetween(1L, 60_000L);
        assertThat(RedisCommands.callForLong(address, "PTTL", "absent")).isEqualTo(-2L);
        assertThat(RedisCommands.call(address, "DEBUG", "SLEEP", "0")).isEqualTo("OK");
    }

    @Test
    void errorRepliesRaiseIllegalStateException() {
        String address = server.address();
        assertThat(RedisCommands.call(address, "SET", "a-string", "v")).isEqualTo("OK");

        assertThatThrownBy(() -> RedisCommands.call(address, "LPUSH", "a-string", "x"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("WRONGTYPE");
        assertThatThrownBy(() -> RedisCommands.call(address, "NO-SUCH-COMMAND"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ERR");
        assertThatThrownBy(() -> RedisCommands.callForLong(address, "GET", "a-string"))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void unreachableServerRaisesUncheckedIoException() {
        String nowhere = "redis://127.0.0.1:" + RedisServerProcess.freePort();

        assertThatThrownBy(() -> RedisCommands.call(nowhere, Duration.ofSeconds(2), "PING"))
                .isInstanceOf(UncheckedIOException.class);
        assertThat(RedisCommands.ping(nowhere, Duration.ofSeconds(2))).isFalse();
        assertThat(RedisCommands.ping(server.address(), Duration.ofSeconds(2))).isTrue();
    }
}
