package io.github.distributedmutex.internal.cdi;

import jakarta.interceptor.InvocationContext;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Function;
import org.slf4j.MDC;

/**
 * The SLF4J MDC of a running {@code @Locked} method: {@value #KEY} is the lock key and
 * {@value #TOKEN} its fencing token while the method body runs on the calling thread; afterwards
 * both are set back to what they were before (not just removed), so nested {@code @Locked} calls
 * restore their caller's values. The MDC is thread-bound: for a method returning a
 * {@code CompletionStage} it covers the method body up to its return (the synchronous part), not
 * the continuations that complete the stage on other threads.
 */
final class LockContext {

    /** MDC key of the lock key. */
    static final String KEY = "distributedmutex.key";
    /** MDC key of the fencing token. */
    static final String TOKEN = "distributedmutex.token";

    private LockContext() {
    }

    /**
     * Proceeds with the MDC of a thread-owned lock.
     *
     * @param key   the lock key
     * @param token the token of the calling thread's hold (empty leaves {@value #TOKEN} unset)
     * @return what the method returned
     * @throws Exception what the method threw
     */
    private static Object proceed(InvocationContext context, String key, OptionalLong token) throws Exception {
        String previousKey = MDC.get(KEY);
        String previousToken = MDC.get(TOKEN);
        MDC.put(KEY, key);
        if (token.isPresent()) {
            MDC.put(TOKEN, Long.toString(token.getAsLong()));
        } else {
            MDC.remove(TOKEN);
        }
        try {
            return context.proceed();
        } finally {
            restore(KEY, previousKey);
            restore(TOKEN, previousToken);
        }
    }

    /**
     * Proceeds with the MDC of the locks of {@code keys}: {@value #KEY} the keys joined by {@code ", "} in the order
     * given (the order of the method's key templates, the same for every way the method is locked), and
     * {@value #TOKEN} their one token when one script granted them all; when their tokens differ (a Redis Cluster
     * set over several slots) no one token is safe for all of them, and {@value #TOKEN} is left unset.
     *
     * @param keys    the rendered keys, at least one
     * @param tokenOf the token of one key's hold, empty when unknown
     * @return what the method returned
     * @throws Exception what the method threw
     */
    static Object proceed(InvocationContext context, List<String> keys, Function<String, OptionalLong> tokenOf)
            throws Exception {
        OptionalLong token = tokenOf.apply(keys.get(0));
        for (String key : keys.subList(1, keys.size())) {
            if (!token.equals(tokenOf.apply(key))) {
                token = OptionalLong.empty();
                break;
            }
        }
        return proceed(context, String.join(", ", keys), token);
    }

    private static void restore(String mdcKey, String previous) {
        if (previous == null) {
            MDC.remove(mdcKey);
        } else {
            MDC.put(mdcKey, previous);
        }
    }
}
