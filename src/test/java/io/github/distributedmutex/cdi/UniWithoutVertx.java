package io.github.distributedmutex.cdi;

import io.github.distributedmutex.DistributedMutexCdi;
import io.github.distributedmutex.Locked;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.se.SeContainer;
import jakarta.enterprise.inject.se.SeContainerInitializer;
import java.time.Duration;

/**
 * An application with Mutiny and without Vert.x, run by {@code NoOptionalIntegrationsTest} in a JVM whose class path
 * lacks Vert.x (argument {@code without-vertx}) or has it ({@code with-vertx}, the control run): it subscribes to a
 * {@code @Locked} method returning a {@code Uni} (CDI SE, discovery off) and prints {@value #DONE} and the argument.
 * Any failure ends the JVM with an exception and a non-zero status.
 */
public final class UniWithoutVertx {

    /** The line printed when everything worked. */
    static final String DONE = "UNI-WITHOUT-VERTX-DONE";

    private UniWithoutVertx() {
    }

    /** @param args {@code without-vertx} or {@code with-vertx} */
    public static void main(String[] args) throws Exception {
        boolean vertx = args[0].equals("with-vertx");
        boolean present;
        try {
            Class.forName("io.vertx.core.Vertx", false, UniWithoutVertx.class.getClassLoader());
            present = true;
        } catch (ClassNotFoundException absent) {
            present = false;
        }
        if (present != vertx) {
            throw new IllegalStateException("Vert.x " + (vertx ? "is missing" : "is on the class path"));
        }
        try (SeContainer container = SeContainerInitializer.newInstance().disableDiscovery()
                .addBeanClasses(Jobs.class).addBeanClasses(DistributedMutexCdi.beanClasses())
                .addExtensions(DistributedMutexCdi.portableExtension()).initialize()) {
            String item = container.select(Jobs.class).get().process(7).await().atMost(Duration.ofSeconds(60));
            if (!"processed 7".equals(item)) {
                throw new IllegalStateException("unexpected item " + item);
            }
        }
        System.out.println(DONE + " " + args[0]);
    }

    /** The application's bean. */
    @ApplicationScoped
    public static class Jobs {
        /** @return the work, under the lock */
        @Locked(value = "uni-job:{id}", maxWait = "60s")
        public Uni<String> process(long id) {
            return Uni.createFrom().item("processed " + id);
        }
    }
}
