package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.CdiContainers;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisMaster;
import org.redisson.api.redisnode.RedisNodes;

/**
 * Counts the commands each contender sends to Redis per acquire and per release, watching the
 * server with {@code MONITOR} ({@link CommandMonitor}) during a batch of uncontended operations
 * on distinct keys. Each command sent is one round trip (nothing is pipelined), so this tells,
 * without any timing noise, whether for example taking a lock with a fencing token costs an extra
 * round trip. The commands scripts run inside the server are counted apart: they cost server time,
 * not round trips.
 */
final class RoundTripCensus {

    /**
     * Commands per operation.
     *
     * @param acquire         commands sent per acquisition (for {@code PING} and {@code @Locked}: per call), by name
     * @param release         commands sent per release (empty for {@code PING} and {@code @Locked}), by name
     * @param acquireInScript commands run inside scripts per acquisition
     * @param releaseInScript commands run inside scripts per release
     */
    record Count(Map<String, Double> acquire, Map<String, Double> release, double acquireInScript,
                 double releaseInScript) {

        /** @return round trips per acquisition */
        double acquireTotal() {
            return acquire.values().stream().mapToDouble(Double::doubleValue).sum();
        }

        /** @return round trips per release */
        double releaseTotal() {
            return release.values().stream().mapToDouble(Double::doubleValue).sum();
        }
    }

    private RoundTripCensus() {
    }

    /**
     * @param address    the Redis
     * @param keyPrefix  the run's prefix
     * @param operations operations counted per contender
     * @return the counts of PING, the floor, RLock, Adapter, Lease and {@code @Locked}
     */
    static Map<Contender, Count> run(String address, String keyPrefix, int operations) throws InterruptedException {
        String prefix = keyPrefix + "census:";
        RedissonClient client = BenchmarkRedis.newClient(address);
        RedisAdapter adapter = BenchmarkRedis.newAdapter(client, address, prefix);
        Map<Contender, Count> counts = new EnumMap<>(Contender.class);
        try (CommandMonitor monitor = CommandMonitor.open(address)) {
            RedisMaster node = client.getRedisNodes(RedisNodes.SINGLE).getInstance();
            counts.put(Contender.PING, countCalls(monitor, "ping", operations, node::ping));
            for (Contender contender : List.of(Contender.FLOOR, Contender.RLOCK, Contender.ADAPTER, Contender.LEASE)) {
                counts.put(contender, countLockAndRelease(monitor, LockStrategy.of(contender, client, adapter, prefix),
                        contender.id(), operations));
            }
            ApplicationRedisson.share(client);
            try (CdiContainers cdi = CdiContainers.builder().beans(LockedWork.class, ApplicationRedisson.class)
                    .redisAddress(address).keyPrefix(prefix + "cdi:").start()) {
                LockedWork bean = cdi.select(LockedWork.class);
                long[] id = {0};
                counts.put(Contender.LOCKED, countCalls(monitor, "locked", operations, () -> bean.work(++id[0])));
            }
        } finally {
            adapter.close();
            BenchmarkRedis.shutdown(client);
        }
        return counts;
    }

    private static Count countCalls(CommandMonitor monitor, String name, int operations, Runnable call)
            throws InterruptedException {
        for (int i = 0; i < 50; i++) {
            call.run();
        }
        monitor.mark(name + ":start");
        for (int i = 0; i < operations; i++) {
            call.run();
        }
        monitor.mark(name + ":end");
        CommandMonitor.Tally tally = monitor.between(name + ":start", name + ":end", !name.equals("ping"));
        return new Count(perOperation(tally.sent(), operations), Map.of(), total(tally.inScript(), operations), 0);
    }

    private static Count countLockAndRelease(CommandMonitor monitor, LockStrategy strategy, String name, int operations)
            throws InterruptedException {
        for (int i = 0; i < 50; i++) {
            String key = name + ":warm:" + i;
            strategy.unlock(key, held(strategy, key));
        }
        List<Object> handles = new ArrayList<>(operations);
        monitor.mark(name + ":start");
        for (int i = 0; i < operations; i++) {
            handles.add(held(strategy, name + ":" + i));
        }
        monitor.mark(name + ":acquired");
        for (int i = 0; i < operations; i++) {
            strategy.unlock(name + ":" + i, handles.get(i));
        }
        monitor.mark(name + ":released");
        CommandMonitor.Tally acquire = monitor.between(name + ":start", name + ":acquired", true);
        CommandMonitor.Tally release = monitor.between(name + ":acquired", name + ":released", true);
        return new Count(perOperation(acquire.sent(), operations), perOperation(release.sent(), operations),
                total(acquire.inScript(), operations), total(release.inScript(), operations));
    }

    private static Object held(LockStrategy strategy, String key) throws InterruptedException {
        Object handle = strategy.lock(key);
        if (handle == null) {
            throw new IllegalStateException("uncontended lock on a fresh key not acquired: " + key);
        }
        return handle;
    }

    private static Map<String, Double> perOperation(Map<String, Long> commands, int operations) {
        Map<String, Double> result = new TreeMap<>();
        commands.forEach((command, calls) -> result.put(command, (double) calls / operations));
        return result;
    }

    private static double total(Map<String, Long> commands, int operations) {
        return commands.values().stream().mapToLong(Long::longValue).sum() / (double) operations;
    }
}
