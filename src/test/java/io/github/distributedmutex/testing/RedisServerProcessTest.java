package io.github.distributedmutex.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Proves that {@link RedisServerProcess} and {@link TestRedis} provide a real, controllable Redis server.
 */
class RedisServerProcessTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final Duration SHORT_READ_TIMEOUT = Duration.ofMillis(500);

    private final List<RedisServerProcess> servers = new ArrayList<>();

    @AfterEach
    void killServers() {
        for (RedisServerProcess server : servers) {
            server.kill();
        }
    }

    private RedisServerProcess track(RedisServerProcess server) {
        servers.add(server);
        return server;
    }

    @Test
    void startedServerAnswersPing() {
        RedisServerProcess server = track(RedisServerProcess.start());

        assertThat(server.address()).isEqualTo("redis://127.0.0.1:" + server.port());
        assertThat(server.isAlive()).isTrue();
        assertThat(server.isPaused()).isFalse();
        assertThat(RedisCommands.call(server.address(), "PING")).isEqualTo("PONG");
        assertThat(RedisCommands.call(server.address(), "INFO", "server")).contains("process_id:" + server.pid());
        assertThat(RedisServerProcess.binary()).isNotBlank();
        assertThat(server.logFile()).exists();
    }

    @Test
    void theBinaryVersionIsTheVersionTheStartedServerReports() {
        RedisServerProcess server = track(RedisServerProcess.start());

        RedisVersion reported = RedisVersion.fromInfo(RedisCommands.call(server.address(), "INFO", "server"));
        assertThat(RedisServerProcess.binaryVersion()).isEqualTo(reported);
        assertThat(reported.major()).isGreaterThanOrEqualTo(6);
    }

    @Test
    void anExpectedVersionIsAPrefixOfTheVersionAndAnythingElseIsRefused() {
        String before = System.getProperty(RedisServerProcess.EXPECT_VERSION_PROPERTY);
        System.setProperty(RedisServerProcess.EXPECT_VERSION_PROPERTY, "7.");
        try {
            RedisServerProcess.checkExpectedVersion("a 7.0 server", RedisVersion.parse("7.0.15"));
            assertThatThrownBy(() -> RedisServerProcess.checkExpectedVersion("a 6.2 server",
                    RedisVersion.fromVersionOutput("Redis server v=6.2.11 sha=00000000:0 malloc=jemalloc-5.1.0")))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("a 6.2 server is Redis 6.2.11")
                    .hasMessageContaining("redis.expect-version=7.");
            assertThatThrownBy(() -> RedisServerProcess.checkExpectedVersion("a server", null))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("unknown version");
        } finally {
            if (before == null) {
                System.clearProperty(RedisServerProcess.EXPECT_VERSION_PROPERTY);
            } else {
                System.setProperty(RedisServerProcess.EXPECT_VERSION_PROPERTY, before);
            }
        }
        assertThat(RedisVersion.parse("7.2.4").atLeast(7, 2)).isTrue();
        assertThat(RedisVersion.parse("7.0.15").atLeast(7, 2)).isFalse();
        assertThat(RedisVersion.parse("10.0.0").atLeast(7, 2)).isTrue();
    }

    @Test
    void extraArgumentsAreAppliedAndNothingIsPersisted() {
        RedisServerProcess server = track(RedisServerProcess.start("--maxmemory", "10mb"));

        assertThat(RedisCommands.callForList(server.address(), "CONFIG", "GET", "maxmemory"))
                .containsExactly("maxmemory", "10485760");
        assertThat(RedisCommands.callForList(server.address(), "CONFIG", "GET", "appendonly"))
                .containsExactly("appendonly", "no");
        assertThat(RedisCommands.callForList(server.address(), "CONFIG", "GET", "save"))
                .containsExactly("save", "");
    }

    @Test
    void killMakesTheServerStopAnswering() {
        RedisServerProcess server = track(RedisServerProcess.start());
        String address = server.address();
        long pid = server.pid();

        server.kill();

        assertThat(server.isAlive()).isFalse();
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
        await().atMost(PATIENCE).until(() -> !RedisCommands.ping(address, SHORT_READ_TIMEOUT));
        assertThatThrownBy(() -> RedisCommands.call(address, SHORT_READ_TIMEOUT, "PING"))
                .isInstanceOf(UncheckedIOException.class);
        assertThat(server.address()).isEqualTo(address);
    }

    @Test
    void startOnPortAfterKillServesTheSameAddressAgainEmpty() {
        RedisServerProcess first = track(RedisServerProcess.start());
        assertThat(RedisCommands.call(first.address(), "SET", "restart-probe", "before")).isEqualTo("OK");
        first.kill();
        assertThat(RedisCommands.ping(first.address(), SHORT_READ_TIMEOUT)).isFalse();

        RedisServerProcess second = track(RedisServerProcess.startOnPort(first.port()));

        assertThat(second.port()).isEqualTo(first.port());
        assertThat(second.address()).isEqualTo(first.address());
        assertThat(second.pid()).isNotEqualTo(first.pid());
        assertThat(second.isAlive()).isTrue();
        assertThat(RedisCommands.call(second.address(), "PING")).isEqualTo("PONG");
        assertThat(RedisCommands.call(second.address(), "GET", "restart-probe")).isNull();
    }

    @Test
    void startOnPortRefusesAPortAlreadyServed() {
        RedisServerProcess server = track(RedisServerProcess.start());

        assertThatThrownBy(() -> track(RedisServerProcess.startOnPort(server.port())))
                .isInstanceOf(IllegalStateException.class)
                .satisfies(e -> assertThat(e.getMessage())
                        .containsAnyOf("Address already in use", "already served by another Redis"));
        assertThat(RedisCommands.call(server.address(), "INFO", "server")).contains("process_id:" + server.pid());
    }

    @Test
    void pauseMakesPingTimeOutAndResumeMakesItAnswerAgain() {
        RedisServerProcess server = track(RedisServerProcess.start());
        assertThat(RedisCommands.call(server.address(), "PING")).isEqualTo("PONG");

        server.pause();

        assertThat(server.isAlive()).isTrue();
        assertThat(server.isPaused()).isTrue();
        assertThatThrownBy(() -> RedisCommands.call(server.address(), SHORT_READ_TIMEOUT, "PING"))
                .isInstanceOf(UncheckedIOException.class)
                .hasCauseInstanceOf(SocketTimeoutException.class);

        server.resume();

        assertThat(server.isPaused()).isFalse();
        await().atMost(PATIENCE).until(() -> RedisCommands.ping(server.address(), Duration.ofSeconds(2)));
        assertThat(RedisCommands.call(server.address(), "PING")).isEqualTo("PONG");
    }

    @Test
    void stopEndsTheProcessEvenWhenPaused() {
        RedisServerProcess running = track(RedisServerProcess.start());
        RedisServerProcess paused = track(RedisServerProcess.start());
        paused.pause();

        running.stop();
        paused.close();

        assertThat(running.isAlive()).isFalse();
        assertThat(paused.isAlive()).isFalse();
        assertThat(paused.isPaused()).isFalse();
        assertThat(RedisCommands.ping(running.address(), SHORT_READ_TIMEOUT)).isFalse();
        assertThat(RedisCommands.ping(paused.address(), SHORT_READ_TIMEOUT)).isFalse();
        assertThatThrownBy(paused::pause).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void sharedTestRedisAnswersPing() {
        String address = TestRedis.address();

        assertThat(RedisCommands.call(address, "PING")).isEqualTo("PONG");
        assertThat(TestRedis.address()).isEqualTo(address);
        assertThat(TestRedis.source())
                .matches(TestRedis.owned() ? "(Testcontainers|redis-server process) .*" : "REDIS_URL .*");
    }

    @Test
    void flushAllEmptiesOnlyAServerTheTestsOwn() {
        String address = TestRedis.address();
        String key = "flush-probe-" + UUID.randomUUID();
        assertThat(RedisCommands.call(address, "SET", key, "value")).isEqualTo("OK");

        if (TestRedis.owned()) {
            TestRedis.flushAll();
            assertThat(RedisCommands.callForLong(address, "EXISTS", key)).isZero();
        } else {
            assertThatThrownBy(TestRedis::flushAll)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Refusing to FLUSHALL");
            assertThat(RedisCommands.callForLong(address, "DEL", key)).isEqualTo(1L);
        }
    }
}
