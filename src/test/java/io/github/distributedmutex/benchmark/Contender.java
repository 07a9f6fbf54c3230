package io.github.distributedmutex.benchmark;

/** Everything the benchmark measures side by side, with the names used on command lines and in the report. */
enum Contender {

    /** A Redis {@code PING} through the Redisson client: the network floor of one round trip. */
    PING("ping", "Redis PING, same client (1 round trip)"),
    /** {@code SET NX PX}, then an owner-checked Lua delete: the cheapest owner-safe lock cycle. */
    FLOOR("floor", "SET NX PX + owner-checked delete (floor)"),
    /** Redisson's {@code RLock}, {@code tryLock(5 s wait, 60 s lease)} and {@code unlock()}. */
    RLOCK("rlock", "Raw Redisson RLock"),
    /** The library's thread-owned {@code Adapter.acquire}/{@code release}. */
    ADAPTER("adapter", "Adapter acquire/release"),
    /** The library's {@code Adapter.lock} and {@code Lease.close}, with the fencing token. */
    LEASE("lease", "Lease API: lock/close (with fencing token)"),
    /** A {@code @Locked("bench:{id}")} method of a bean in a Weld SE container. */
    LOCKED("locked", "@Locked method, template key (Weld SE)"),
    /** The Go package's strategy: {@code SET NX PX} polled every 250 ms, 20 retries. */
    GO_PACKAGE("go", "Go package strategy (SET NX PX, retry every 250 ms × 20)");

    private final String id;
    private final String label;

    Contender(String id, String label) {
        this.id = id;
        this.label = label;
    }

    /** @return the short name used in phase descriptions and file names */
    String id() {
        return id;
    }

    /** @return the name shown in the report */
    String label() {
        return label;
    }

    /**
     * @param id a short name
     * @return the contender with that name
     * @throws IllegalArgumentException when there is none
     */
    static Contender byId(String id) {
        for (Contender contender : values()) {
            if (contender.id.equals(id)) {
                return contender;
            }
        }
        throw new IllegalArgumentException("Unknown contender '" + id + "'");
    }
}
