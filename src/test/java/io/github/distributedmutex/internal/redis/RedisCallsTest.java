package io.github.distributedmutex.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.redisson.client.RedisException;
import org.redisson.client.RedisResponseTimeoutException;

/** What a user's message keeps of a Redisson failure ({@link RedisCalls#describe}). */
class RedisCallsTest {

    @Test
    void aRedisErrorKeepsItsTypeAndRedisErrorLineWithoutTheChannel() {
        RedisException noPerm = new RedisException("NOPERM User acker has no permissions to run the 'wait' command."
                + " channel: [id: 0x3c1a2b4d, L:/127.0.0.1:50412 - R:127.0.0.1/127.0.0.1:6379] command: (WAIT),"
                + " params: [1, 300]");
        assertThat(RedisCalls.describe(new CompletionException(noPerm)))
                .isEqualTo("RedisException: NOPERM User acker has no permissions to run the 'wait' command");
    }

    @Test
    void aClientSideFailureKeepsOnlyItsType() {
        RedisResponseTimeoutException timeout = new RedisResponseTimeoutException("Redis server response timeout"
                + " (4000 ms) occurred after 0 of 0 retry attempts, is non-idempotent command: false Check connection"
                + " with Redis node: 127.0.0.1/127.0.0.1:6379 for TCP packet drops or bandwidth limits.  Try to"
                + " increase nettyThreads and/or timeout settings. Netty pending tasks: 0, command: null, params: null,"
                + " channel: [id: 0xc898a51f, L:/127.0.0.1:56594 - R:127.0.0.1/127.0.0.1:33279]");
        assertThat(RedisCalls.describe(timeout)).isEqualTo("RedisResponseTimeoutException");
        assertThat(RedisCalls.describe(new IllegalStateException())).isEqualTo("IllegalStateException");
    }

    @Test
    void anUnavailableLockNamesRedisErrorWithoutAddressesCommandOrParameters() {
        RedisException noPerm = new RedisException("NOPERM this user has no permissions to run the 'evalsha' command."
                + " channel: [id: 0x3c1a2b4d, L:/10.1.2.3:50412 - R:redis.internal/10.9.8.7:6379] command: (EVALSHA),"
                + " params: [abc, 1, dm:job, host-1#owner:1, 60000]");
        assertThat(RedisCalls.unavailable("job", "acquire", new CompletionException(noPerm)).getMessage())
                .isEqualTo("Redis could not acquire lock 'job': RedisException: NOPERM this user has no permissions to"
                        + " run the 'evalsha' command");
    }

    @Test
    void anUnavailableLockKeepsRedissonsExplanationOfAClientSideFailureButNotItsChannel() {
        RedisResponseTimeoutException timeout = new RedisResponseTimeoutException("Redis server response timeout"
                + " (4000 ms) occurred after 0 of 0 retry attempts, is non-idempotent command: false Check connection"
                + " with Redis node: 10.9.8.7/10.9.8.7:6379 for TCP packet drops or bandwidth limits.  Try to"
                + " increase nettyThreads and/or timeout settings. Netty pending tasks: 0, command: (EVALSHA), params:"
                + " [abc, 1, dm:job, host-1#owner:1], channel: [id: 0xc898a51f, L:/10.1.2.3:56594 - R:10.9.8.7:6379]");
        String message = RedisCalls.unavailable("job", "acquire", timeout).getMessage();
        assertThat(message).startsWith("Redis could not acquire lock 'job': RedisResponseTimeoutException: Redis server"
                + " response timeout (4000 ms) occurred after 0 of 0 retry attempts")
                .doesNotContain("channel:").doesNotContain("10.1.2.3").doesNotContain("params").doesNotContain("owner:1")
                .doesNotContain("nettyThreads");
    }
}
