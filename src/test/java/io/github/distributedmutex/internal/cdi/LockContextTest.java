package io.github.distributedmutex.internal.cdi;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.interceptor.InvocationContext;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * The MDC of a {@code @Locked(keys = ...)} method: the keys in the order given, and a token only when every key has
 * the same one (one script granted them all). Keys with different tokens (a Redis Cluster set over several slots,
 * whose tokens come from different masters' clocks) get no token: none of them is safe for all keys. The Redis side
 * of it, that such a set's keys have different tokens, is {@code ClusterLockAllTest}'s.
 */
class LockContextTest {

    @Test
    void keysSharingOneTokenPutItInTheMdc() throws Exception {
        Map<String, String> seen = proceed(List.of("account:2", "account:1"), Map.of("account:1", 7L, "account:2", 7L));
        assertThat(seen).containsEntry(LockContext.KEY, "account:2, account:1").containsEntry(LockContext.TOKEN, "7");
    }

    @Test
    void keysWithDifferentTokensPutNoTokenInTheMdc() throws Exception {
        MDC.put(LockContext.TOKEN, "outer");
        try {
            Map<String, String> seen = proceed(List.of("account:1", "account:2"),
                    Map.of("account:1", 7L, "account:2", 9L));
            assertThat(seen).containsEntry(LockContext.KEY, "account:1, account:2")
                    .doesNotContainKey(LockContext.TOKEN);
            assertThat(MDC.get(LockContext.TOKEN)).as("the caller's token, restored").isEqualTo("outer");
        } finally {
            MDC.remove(LockContext.TOKEN);
        }
    }

    /** @return the MDC entries of the library while the method ran */
    private static Map<String, String> proceed(List<String> keys, Map<String, Long> tokens) throws Exception {
        Map<String, String> seen = new HashMap<>();
        InvocationContext method = new Invocation(() -> {
            for (String mdcKey : List.of(LockContext.KEY, LockContext.TOKEN)) {
                if (MDC.get(mdcKey) != null) {
                    seen.put(mdcKey, MDC.get(mdcKey));
                }
            }
        });
        LockContext.proceed(method, keys, key -> OptionalLong.of(tokens.get(key)));
        return seen;
    }

    /** A method invocation whose body is {@code body}; nothing else of it is used. */
    private record Invocation(Runnable body) implements InvocationContext {

        @Override
        public Object proceed() {
            body.run();
            return null;
        }

        @Override
        public Object getTarget() {
            return null;
        }

        @Override
        public Object getTimer() {
            return null;
        }

        @Override
        public Method getMethod() {
            return null;
        }

        @Override
        public Constructor<?> getConstructor() {
            return null;
        }

        @Override
        public Object[] getParameters() {
            return new Object[0];
        }

        @Override
        public void setParameters(Object[] params) {
        }

        @Override
        public Map<String, Object> getContextData() {
            return Map.of();
        }
    }
}
