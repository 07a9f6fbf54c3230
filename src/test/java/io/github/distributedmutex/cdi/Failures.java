package io.github.distributedmutex.cdi;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/** Helpers to inspect what a failed container start or a failed call threw. */
final class Failures {

    private Failures() {
    }

    /** @return the throwable, its causes and their suppressed exceptions, depth first, each once */
    static List<Throwable> chain(Throwable failure) {
        List<Throwable> all = new ArrayList<>();
        collect(failure, all, Collections.newSetFromMap(new IdentityHashMap<>()));
        return all;
    }

    private static void collect(Throwable t, List<Throwable> all, Set<Throwable> seen) {
        if (t == null || !seen.add(t)) {
            return;
        }
        all.add(t);
        collect(t.getCause(), all, seen);
        for (Throwable suppressed : t.getSuppressed()) {
            collect(suppressed, all, seen);
        }
    }

    /** @return the first throwable in the chain that is an instance of one of the types, or null */
    static Throwable firstOf(Throwable failure, Class<?>... types) {
        for (Throwable t : chain(failure)) {
            for (Class<?> type : types) {
                if (type.isInstance(t)) {
                    return t;
                }
            }
        }
        return null;
    }

    /** @return every message of the chain, joined by new lines */
    static String messages(Throwable failure) {
        StringBuilder text = new StringBuilder();
        for (Throwable t : chain(failure)) {
            text.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
        }
        return text.toString();
    }

    /** @return the full stack trace text, causes and suppressed included */
    static String stackTrace(Throwable failure) {
        StringWriter text = new StringWriter();
        failure.printStackTrace(new PrintWriter(text));
        return text.toString();
    }
}
