package io.github.distributedmutex.benchmark;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The machine, JVM and Redis a run measured, for the report's header. Every figure of a run is
 * read next to these.
 *
 * @param cpu          the CPU model
 * @param cores        processors available to the JVM
 * @param memory       physical memory, for example {@code 24.0 GiB}
 * @param os           operating system, version and architecture
 * @param jvm          JVM name, version and vendor
 * @param redisVersion the Redis server's version
 * @param redisSource  where the Redis came from (as the tests choose it)
 * @param redisson     the Redisson version
 */
record MachineInfo(String cpu, int cores, String memory, String os, String jvm, String redisVersion,
                   String redisSource, String redisson) {

    /**
     * @param address the Redis
     * @param source  how it was provided
     * @return the description of this machine
     */
    static MachineInfo collect(String address, String source) {
        String memory = "?";
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            memory = String.format(Locale.ROOT, "%.1f GiB", os.getTotalMemorySize() / (1024.0 * 1024 * 1024));
        }
        return new MachineInfo(cpuModel(), Runtime.getRuntime().availableProcessors(), memory,
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
                        + System.getProperty("java.vm.vendor") + ")",
                BenchmarkRedis.serverInfo(address, "redis_version"), source,
                org.redisson.Redisson.class.getPackage().getImplementationVersion() == null ? "4.7.0"
                        : org.redisson.Redisson.class.getPackage().getImplementationVersion());
    }

    /** @return the load averages over 1, 5 and 15 minutes, as the kernel reports them, or {@code ?} */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " / " + fields[1] + " / " + fields[2];
        } catch (IOException | RuntimeException e) {
            double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            return load < 0 ? "?" : String.format(Locale.ROOT, "%.2f", load);
        }
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }
}
