package io.github.distributedmutex.demo;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.DistributedMutexCdi;
import io.github.distributedmutex.DistributedMutexException;
import jakarta.enterprise.inject.Produces;
import jakarta.enterprise.inject.se.SeContainer;
import jakarta.enterprise.inject.se.SeContainerInitializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * One application instance of the demo: a JVM running a Weld SE container with the library and
 * the demo's beans. {@link Demo} starts several of them; each works through the same job ids in its
 * own random order, so they keep running into each other.
 *
 * <p>System properties, set by the launcher: {@code demo.instance} (this instance's name),
 * {@code demo.instances} (how many to wait for at the start line), {@code demo.jobs} (job ids
 * {@code 1..n}), {@code demo.run} (the run id), {@code distributedmutex.key-prefix}; the Redis
 * address comes in the environment variable {@code DISTRIBUTEDMUTEX_REDIS_ADDRESS}, which the
 * library reads like the property {@code distributedmutex.redis.address} (it stays out of the
 * process list, in case it carries a password). Exits with 0 when every job was handled.
 */
public class DemoInstance {

    /** How long an instance waits at the start line for the others. */
    static final Duration START_LINE_TIMEOUT = Duration.ofSeconds(30);

    /** For CDI only: this class is a bean because it produces {@link DemoStore}. */
    protected DemoInstance() {
    }

    /**
     * Makes {@link DemoStore} injectable.
     *
     * @return the store of this run
     */
    @Produces
    static DemoStore demoStore() {
        return DemoStore.fromSystemProperties();
    }

    /**
     * Runs one instance.
     *
     * @param args ignored; see the class documentation for the system properties
     */
    public static void main(String[] args) {
        String instance = System.getProperty("demo.instance", "instance-" + ProcessHandle.current().pid());
        int instances = Integer.getInteger("demo.instances", 1);
        int jobs = Integer.getInteger("demo.jobs", 30);
        int failures;
        try {
            failures = run(instance, instances, jobs);
        } catch (RuntimeException e) {
            System.out.println("FAILED: " + e);
            e.printStackTrace(System.out);
            failures = 1;
        }
        System.out.flush();
        System.exit(failures == 0 ? 0 : 1);
    }

    private static int run(String instance, int instances, int jobs) {
        SeContainerInitializer initializer = SeContainerInitializer.newInstance()
                .disableDiscovery()
                // the demo's beans
                .addBeanClasses(DemoInstance.class, JobProcessor.class, NightlyReport.class)
                // the library's beans; with discovery on, its beans.xml would find them by itself
                .addBeanClasses(DistributedMutexCdi.beanClasses())
                .addExtensions(DistributedMutexCdi.portableExtension());
        try (SeContainer container = initializer.initialize()) {
            DemoStore store = container.select(DemoStore.class).get();
            JobProcessor processor = container.select(JobProcessor.class).get();
            NightlyReport nightly = container.select(NightlyReport.class).get();

            // The library connects to Redis lazily (an application starts even while Redis is down). Take and
            // release one throw-away lock now, so the connection set-up does not count as a wait for a job lock.
            container.select(Adapter.class).get().lock("warm-up:" + instance).close();

            if (!store.arriveAndAwait(instances, START_LINE_TIMEOUT)) {
                System.out.println("not every instance came up within " + START_LINE_TIMEOUT.toSeconds()
                        + " s; starting anyway");
            }

            HistoryRecord report = nightly.runIfDue(instance);
            store.append(report);
            switch (report.outcome()) {
                case RAN -> System.out.println("nightly report: produced it (fencing token " + report.fencingToken() + ")");
                case ALREADY_DONE -> System.out.println("nightly report: already produced by another instance");
                case BUSY -> System.out.println("nightly report: another instance is producing it, skipped");
            }

            List<Integer> order = new ArrayList<>();
            for (int job = 1; job <= jobs; job++) {
                order.add(job);
            }
            Collections.shuffle(order, new Random());

            int ran = 0;
            int skipped = 0;
            int failures = 0;
            for (int job : order) {
                long requested = store.redisTimeMicros();
                long calledAt = System.nanoTime();
                JobProcessor.Outcome outcome;
                try {
                    outcome = processor.process(job);
                } catch (DistributedMutexException e) {
                    System.out.println("job " + job + ": no lock, not run: " + e.getMessage());
                    failures++;
                    continue;
                }
                long waitMicros = Math.max(0, (outcome.enteredNanos() - calledAt) / 1_000);
                store.append(new HistoryRecord(instance, "job:" + job, job,
                        outcome.ran() ? HistoryRecord.Outcome.RAN : HistoryRecord.Outcome.ALREADY_DONE, -1,
                        requested, outcome.startMicros(), outcome.endMicros(), waitMicros));
                if (outcome.ran()) {
                    ran++;
                    System.out.printf("job %2d: ran it (%d ms of work; lock taken in %d ms)%n",
                            job, outcome.workMillis(), waitMicros / 1_000);
                } else {
                    skipped++;
                    if (outcome.previousHoldEndMicros() > requested) {
                        // the previous holder released the lock after we asked for it: we waited for it
                        System.out.printf("job %2d: waited %d ms for the lock while another instance had it;"
                                + " found the job done, skipped%n", job, waitMicros / 1_000);
                    }
                }
            }
            System.out.printf("finished: ran %d jobs, skipped %d already done by others%s%n", ran, skipped,
                    failures == 0 ? "" : ", " + failures + " FAILED");
            return failures;
        }
    }
}
