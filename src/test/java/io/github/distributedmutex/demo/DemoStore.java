package io.github.distributedmutex.demo;

import io.github.distributedmutex.testing.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The demo's own data in Redis, kept apart from the library's lock keys: the set of done jobs,
 * the history of every lock attempt, the start barrier and the published nightly report.
 *
 * <p>It talks to Redis with {@link RedisCommands}, a plain RESP client (one short connection per
 * command), because the library deliberately never exposes its Redisson client. Every key of a run
 * starts with {@code distributedmutex-demo:<run id>:}, so runs never see each other's data, also on
 * a shared Redis. Stateless and thread-safe.
 */
public final class DemoStore {

    /** System property (or environment variable {@code DISTRIBUTEDMUTEX_REDIS_ADDRESS}) naming the Redis. */
    public static final String ADDRESS_PROPERTY = "distributedmutex.redis.address";
    /** Environment variable form of {@link #ADDRESS_PROPERTY}, as MicroProfile Config maps it. */
    public static final String ADDRESS_VARIABLE = "DISTRIBUTEDMUTEX_REDIS_ADDRESS";
    /** System property carrying the run id. */
    public static final String RUN_PROPERTY = "demo.run";

    private static final String NAMESPACE = "distributedmutex-demo:";

    /**
     * Publishes the nightly report only if the writer's fencing token is higher than the last one
     * accepted: this is how a resource protects itself from a holder whose lease ran out without
     * it noticing (see docs/guarantees.md).
     */
    private static final String FENCED_PUBLISH = """
            local last = tonumber(redis.call('HGET', KEYS[1], 'token') or '-1')
            if tonumber(ARGV[1]) <= last then return 0 end
            redis.call('HSET', KEYS[1], 'token', ARGV[1], 'instance', ARGV[2])
            return 1""";

    private final String address;
    private final String runId;

    /**
     * @param address the Redis URI, e.g. {@code redis://127.0.0.1:6379}
     * @param runId   the run's id, letters, digits and dashes
     */
    public DemoStore(String address, String runId) {
        this.address = Objects.requireNonNull(address, "address");
        this.runId = Objects.requireNonNull(runId, "runId");
        if (!runId.matches("[A-Za-z0-9-]+")) {
            throw new IllegalArgumentException("run id must be letters, digits and dashes: " + runId);
        }
    }

    /**
     * The store of the run this JVM belongs to, as the launcher configured it: the Redis address from
     * {@value #ADDRESS_PROPERTY} (system property, else environment {@value #ADDRESS_VARIABLE}) and the
     * run id from {@value #RUN_PROPERTY}.
     *
     * @return the store
     * @throws IllegalStateException when the launcher's settings are missing
     */
    public static DemoStore fromSystemProperties() {
        String address = System.getProperty(ADDRESS_PROPERTY, System.getenv(ADDRESS_VARIABLE));
        String runId = System.getProperty(RUN_PROPERTY);
        if (address == null || runId == null) {
            throw new IllegalStateException("Start the demo with io.github.distributedmutex.demo.Demo, which sets "
                    + ADDRESS_VARIABLE + " and -D" + RUN_PROPERTY);
        }
        return new DemoStore(address, runId);
    }

    /**
     * @param runId a run id
     * @return the value of {@code distributedmutex.key-prefix} for that run: the library's lock keys
     *         then live next to the run's own keys
     */
    public static String lockKeyPrefix(String runId) {
        return NAMESPACE + runId + ":lock:";
    }

    /** @return the run id */
    public String runId() {
        return runId;
    }

    /** @return the Redis URI */
    public String address() {
        return address;
    }

    /** @return the current Redis server time, in microseconds since the epoch */
    public long redisTimeMicros() {
        List<String> time = RedisCommands.callForList(address, "TIME");
        return Long.parseLong(time.get(0)) * 1_000_000L + Long.parseLong(time.get(1));
    }

    /**
     * @param job a job id
     * @return whether the job is in the "done" set
     */
    public boolean isDone(int job) {
        return RedisCommands.callForLong(address, "SISMEMBER", key("done"), Integer.toString(job)) == 1;
    }

    /** @param job a job id to add to the "done" set */
    public void markDone(int job) {
        RedisCommands.callForLong(address, "SADD", key("done"), Integer.toString(job));
    }

    /**
     * Notes when a holder of a job's lock is about to release it, and tells when the previous holder
     * did; call it at the end of every hold, while still holding the lock.
     *
     * @param job        a job id
     * @param endMicros  Redis time at the end of this hold
     * @return the end of the previous hold of that job's lock, 0 when this was the first
     */
    public long swapLastHoldEnd(int job, long endMicros) {
        String previous = RedisCommands.call(address, "HGET", key("last-hold-end"), Integer.toString(job));
        RedisCommands.callForLong(address, "HSET", key("last-hold-end"), Integer.toString(job), Long.toString(endMicros));
        return previous == null ? 0 : Long.parseLong(previous);
    }

    /** @return the number of jobs in the "done" set */
    public long doneCount() {
        return RedisCommands.callForLong(address, "SCARD", key("done"));
    }

    /** @return the fencing token of the published nightly report, empty when none was published */
    public Optional<Long> reportToken() {
        return Optional.ofNullable(RedisCommands.call(address, "HGET", key("report"), "token")).map(Long::valueOf);
    }

    /** @return the instance that published the nightly report, empty when none was published */
    public Optional<String> reportPublisher() {
        return Optional.ofNullable(RedisCommands.call(address, "HGET", key("report"), "instance"));
    }

    /**
     * Publishes the nightly report, fenced: refused when a report with an equal or higher token was
     * already published.
     *
     * @param fencingToken the publisher's lease token
     * @param instance     the publisher
     * @return {@code true} when accepted
     */
    public boolean publishReport(long fencingToken, String instance) {
        String accepted = RedisCommands.call(address, "EVAL", FENCED_PUBLISH, "1", key("report"),
                Long.toString(fencingToken), instance);
        return "1".equals(accepted);
    }

    /** @param record one lock attempt, appended to the history list */
    public void append(HistoryRecord record) {
        RedisCommands.callForLong(address, "RPUSH", key("history"), record.encode());
    }

    /** @return the history, oldest first */
    public List<HistoryRecord> history() {
        List<HistoryRecord> records = new ArrayList<>();
        for (String line : RedisCommands.callForList(address, "LRANGE", key("history"), "0", "-1")) {
            records.add(HistoryRecord.decode(line));
        }
        return records;
    }

    /**
     * Start barrier: counts this instance as ready, then waits until {@code parties} instances are,
     * so that they all start contending at the same moment rather than as their JVMs happen to boot.
     *
     * @param parties how many instances to wait for
     * @param timeout how long to wait at most
     * @return {@code true} when all arrived, {@code false} when the timeout ran out first
     */
    public boolean arriveAndAwait(int parties, Duration timeout) {
        long arrived = RedisCommands.callForLong(address, "INCR", key("ready"));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (arrived < parties) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            // Polling a counter in Redis between separate JVMs; 10 ms is plenty for a demo start line.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            String value = RedisCommands.call(address, "GET", key("ready"));
            arrived = value == null ? 0 : Long.parseLong(value);
        }
        return true;
    }

    /** Deletes every key of this run (the library deletes its lock keys itself on release). */
    public void deleteAll() {
        RedisCommands.call(address, "DEL", key("done"), key("history"), key("ready"), key("report"),
                key("last-hold-end"));
    }

    private String key(String name) {
        return NAMESPACE + runId + ":" + name;
    }
}
