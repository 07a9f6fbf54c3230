package io.github.distributedmutex.internal.cdi;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.Executor;

/**
 * The Vert.x context of the thread that subscribes to the {@code Uni} of a {@code @Locked} method, so that
 * {@link MutinyLocking} runs the method body and the emissions to the subscriber on it (on Quarkus: the request's
 * duplicated context, which Hibernate Reactive, Panache, {@code @WithTransaction} and request-scoped beans need).
 * Vert.x is an optional dependency: this class looks for it by name and touches it only from {@link OnVertx}, which
 * is loaded only when Vert.x is on the class path, so an application without Vert.x loads no Vert.x class.
 */
final class VertxContexts {

    /** Runs a task on the calling thread: the behaviour without a Vert.x context. */
    static final Executor DIRECT = Runnable::run;

    private static final boolean PRESENT = present();

    private VertxContexts() {
    }

    /**
     * @return runs tasks on the current thread's Vert.x context ({@code Context.runOnContext}), or {@link #DIRECT}
     *         when Vert.x is absent or the current thread has no Vert.x context
     */
    static Executor capture() {
        return PRESENT ? OnVertx.current() : DIRECT;
    }

    private static boolean present() {
        try {
            Class.forName("io.vertx.core.Vertx", false, VertxContexts.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError absent) {
            return false;
        }
    }

    /** The only code of the library that names a Vert.x type. */
    private static final class OnVertx {

        private OnVertx() {
        }

        static Executor current() {
            Context context = Vertx.currentContext();
            if (context == null) {
                return DIRECT;
            }
            return task -> context.runOnContext(ignored -> task.run());
        }
    }
}
